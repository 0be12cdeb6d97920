"""Expert parallelism (issue 20) on CPU: 2 gloo processes under torchrun, the real loop.

The same run twice, tiny-moe (4 experts, top-2), 2 workers, torch engine: data-parallel only
(``expert_parallel: 1``, every rank holds all experts) and expert-parallel (``expert_parallel: 2``,
each rank holds 2 experts, tokens moved by all-to-all). Same data per rank, same initial weights:
the losses, grad norms and per-expert token counts of every step agree, and the EP run's export
gathers the experts of both ranks into a model transformers loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from xlam.training import TrainConfig, TrainConfigError, parse_train_config, plan, run_training

pytestmark = pytest.mark.slow


def _config(out: Path, data: str, ep: int, *, export: bool) -> TrainConfig:
    return TrainConfig.model_validate({
        "output_dir": str(out), "model": {"recipe": "tiny-moe"}, "seed": 5, "precision": "fp32",
        "data": {"datasets": [data], "max_seq_len": 512},
        "optim": {"lr": 3e-3, "warmup_steps": 1, "max_steps": 5, "grad_accum": 2},
        "distributed": {"launcher": "torchrun", "num_workers": 2, "engine": "torch", "expert_parallel": ep},
        "checkpoint": {"every_steps": 1000}, "export": export,
    })


def test_expert_parallel_matches_data_parallel(tmp_path: Path, dataset_uri: str) -> None:
    dense = run_training(_config(tmp_path / "dp", dataset_uri, 1, export=False))
    sharded = run_training(_config(tmp_path / "ep", dataset_uri, 2, export=True))
    assert dense.final_step == sharded.final_step == 5
    for a, b in zip(dense.metrics, sharded.metrics, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
        assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=1e-4)
        assert b["aux_loss"] == pytest.approx(a["aux_loss"], rel=1e-5)
        assert b["expert_tokens"] == a["expert_tokens"]
    assert dense.metrics[-1]["loss"] < dense.metrics[0]["loss"]
    # every rank saved its own experts; the export holds all 4 experts of every layer
    from transformers import AutoModelForCausalLM

    model: Any = AutoModelForCausalLM.from_pretrained(sharded.hf_export_dir)
    experts = model.model.layers[0].mlp.experts
    assert experts.gate_up_proj.shape[0] == 4 and torch.isfinite(experts.gate_up_proj).all()


def test_expert_parallel_config_and_plan() -> None:
    base = {"data": {"datasets": ["x"]}, "distributed": {"num_workers": 4, "engine": "torch", "expert_parallel": 4}}
    assert parse_train_config(base).distributed.expert_parallel == 4
    with pytest.raises(TrainConfigError, match=r"distributed: .*must divide"):
        parse_train_config({**base, "distributed": {**base["distributed"], "num_workers": 6}})
    with pytest.raises(TrainConfigError, match="needs engine 'torch'"):
        parse_train_config({**base, "distributed": {**base["distributed"], "engine": "deepspeed"}})
    dense = plan("xlam-8x7b", "h200-141gb", gpus_per_node=8, nodes=1, seq=4096)
    ep = plan("xlam-8x7b", "h200-141gb", gpus_per_node=8, nodes=1, seq=4096, expert_parallel=8)
    assert ep.recommended is not None and ep.recommended.expert_parallel == 8
    assert ep.recommended.train_config_overrides()["distributed.expert_parallel"] == 8
    # experts are 45.1B of the 46.7B parameters: sharded 8 ways, the DDP replica of the rest fits
    no_ckpt = next(e for e in ep.estimates if not e.activation_checkpointing)
    replicated = next(e for e in dense.estimates if e.zero_stage == 2 and not e.activation_checkpointing)
    assert no_ckpt.params_gib < replicated.params_gib / 6
    with pytest.raises(ValueError, match="multiple of 3"):
        plan("xlam-8x7b", "h200-141gb", expert_parallel=3)
