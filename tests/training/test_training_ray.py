"""tiny-moe SFT on 2 Ray Train workers (TorchTrainer + DeepSpeed on CPU, gloo) with ZeRO-2 and ZeRO-3:
the loss falls substantially on a small repeated batch, checkpoints hold every rank's ZeRO shards,
data-stream and RNG state, and the run exports a loadable HF model. One Ray session for both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from xlam.training import TrainConfig, run_training

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"DS_ACCELERATOR": "cpu"}})
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.training.conftest import make_records
    from xlam.datasets import write_records

    path = tmp_path_factory.mktemp("overfit") / "ds"
    write_records(str(path), make_records(4), source="test")
    return str(path)


_LOSSES: dict[int, list[float]] = {}


@pytest.mark.parametrize(("zero_stage", "crash_at"), [(2, None), (3, 4)])
def test_tiny_moe_sft_on_two_ray_workers(
    ray_session: None, small_batch: str, tmp_path: Path, zero_stage: int, crash_at: int | None
) -> None:
    """ZeRO-3 run: rank 0 is SIGKILLed after step 4 (last checkpoint: step 3); Ray's FailureConfig
    restarts the worker group, which resumes from the Ray checkpoint and ends with the same losses
    as the uninterrupted ZeRO-2 run."""
    config = TrainConfig.model_validate({
        "name": f"tiny-moe-z{zero_stage}",
        "output_dir": str(tmp_path / "run"),
        "model": {"recipe": "tiny-moe"},
        "data": {"datasets": [small_batch], "max_seq_len": 512, "over_length": "truncate"},
        "optim": {"lr": 1e-2, "warmup_steps": 1, "max_steps": 6},
        "distributed": {"launcher": "ray", "num_workers": 2, "zero_stage": zero_stage, "max_failures": 1},
        "crash_at_step": crash_at,
        "checkpoint": {"every_steps": 3, "storage_path": f"file://{tmp_path / 'storage'}"},
    })
    result = run_training(config)
    losses = [m["loss"] for m in result.metrics]
    assert result.final_step == 6 and len(losses) == 6
    assert losses[-1] < 0.75 * losses[0], losses  # overfits the repeated small batch
    _LOSSES[zero_stage] = losses
    if crash_at is not None:
        assert (tmp_path / "run" / f".crashed-at-{crash_at}").is_file()  # the kill really happened
        assert [m["step"] for m in result.metrics] == [1, 2, 3, 4, 5, 6]
        if 2 in _LOSSES:  # ZeRO-3 + crash + resume == ZeRO-2 straight (same data, same math)
            assert losses == pytest.approx(_LOSSES[2], rel=1e-4)
    last = result.metrics[-1]
    assert len(last["expert_tokens"]) == 4 and sum(last["expert_tokens"]) > 0 and last["router_entropy"] > 0
    # the Ray checkpoint merges both ranks' files
    ckpt = Path(result.checkpoint_uri or "")
    assert (ckpt / "COMPLETE").is_file() and {"rank_0.pt", "rank_1.pt"} <= {p.name for p in ckpt.iterdir()}
    shards = {p.name for p in (ckpt / "engine" / "state").iterdir()}
    assert any("zero_pp_rank_1" in name for name in shards) and any("optim_states" in name for name in shards)
    state = json.loads((ckpt / "trainer_state.json").read_text())
    assert state["step"] == 6 and state["world_size"] == 2
    # both ranks read different records (explicit sharding), every step
    ranks = [[json.loads(x)["records"] for x in (tmp_path / "run" / f"samples_rank{r}.jsonl").read_text().splitlines()]
             for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 6 and ranks[0] != ranks[1]
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(result.hf_export_dir)
    assert type(model).__name__ == "MixtralForCausalLM"
