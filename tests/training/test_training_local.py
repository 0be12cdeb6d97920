"""End-to-end runs without Ray: exact resume after SIGKILL, DPO, export and reload with transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from xlam.training import TrainConfig, run_training

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _config(out: Path, data: str, **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "output_dir": str(out),
        "model": {"recipe": "tiny-moe"},
        "data": {"datasets": [data], "max_seq_len": 1024},
        "optim": {"lr": 5e-3, "warmup_steps": 2, "max_steps": 4},
        "distributed": {"launcher": "local", "num_workers": 1, "engine": "deepspeed", "zero_stage": 2},
        "checkpoint": {"every_steps": 2},
        "seed": 7,
    }
    for key, value in extra.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    return raw


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x]


def test_exact_resume_after_sigkill(tmp_path: Path, dataset_uri: str) -> None:
    """4 steps straight == 3 steps + SIGKILL (last checkpoint at step 2) + resume: identical losses,
    grad norms, expert counts and sample order, bit for bit (DeepSpeed ZeRO-2)."""
    straight = run_training(TrainConfig.model_validate(_config(tmp_path / "straight", dataset_uri)))
    assert straight.final_step == 4

    crash_dir = tmp_path / "crash"
    cfg_path = tmp_path / "crash.yaml"
    cfg_path.write_text(yaml.safe_dump(_config(crash_dir, dataset_uri, crash_at_step=3)))
    cmd = [sys.executable, "-m", "xlam.training.worker", str(cfg_path)]  # the torchrun entry point
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (crash_dir / "checkpoints" / "latest").read_text() == "step_00000002"
    assert len(_lines(crash_dir / "metrics.jsonl")) == 3  # step 3 ran, was never checkpointed

    resumed_cfg = _config(crash_dir, dataset_uri)
    cfg_path.write_text(yaml.safe_dump(resumed_cfg))
    resumed = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    a = _lines(tmp_path / "straight" / "metrics.jsonl")
    b = _lines(crash_dir / "metrics.jsonl")
    assert [m["step"] for m in b] == [1, 2, 3, 4]
    assert [m["loss"] for m in a] == [m["loss"] for m in b]
    assert [m["grad_norm"] for m in a] == [m["grad_norm"] for m in b]
    assert [m["expert_tokens"] for m in a] == [m["expert_tokens"] for m in b]
    assert _lines(tmp_path / "straight" / "samples_rank0.jsonl") == _lines(crash_dir / "samples_rank0.jsonl")
    assert a[-1]["loss"] < a[0]["loss"]

    # export at the end of the run == offline consolidation of the last checkpoint; both load in HF
    from transformers import AutoModelForCausalLM

    live = AutoModelForCausalLM.from_pretrained(straight.hf_export_dir)
    assert type(live).__name__ == "MixtralForCausalLM"
    card = json.loads((Path(straight.hf_export_dir) / "model_card.json").read_text())
    assert card["recipe"] == "tiny-moe" and card["training"]["steps"] == 4
    assert card["data"]["lineage"][0]["uri"] == dataset_uri and card["metrics"]["loss"] == a[-1]["loss"]
    from xlam.training.export import export_checkpoint

    offline_dir = export_checkpoint(Path(straight.checkpoint_uri or ""), tmp_path / "offline")
    offline = AutoModelForCausalLM.from_pretrained(offline_dir)
    ids = torch.arange(40).unsqueeze(0)
    with torch.no_grad():
        assert torch.allclose(live(ids).logits, offline(ids).logits, atol=1e-5)


def test_dpo_with_lora_raises_the_margin(tmp_path: Path, dataset_uri: str) -> None:
    raw = _config(tmp_path / "dpo", dataset_uri, method="dpo",
                  model={"recipe": "tiny"}, optim={"lr": 5e-3, "warmup_steps": 1, "max_steps": 4},
                  distributed={"engine": "torch"}, checkpoint={"every_steps": 10})
    raw["data"]["max_seq_len"] = 4096  # a pair is two documents of one row
    result = run_training(TrainConfig.model_validate(raw))
    margins = [m["margin"] for m in result.metrics]
    assert margins[0] == pytest.approx(0.0, abs=1e-6)  # policy == reference at the start (LoRA B = 0)
    assert margins[-1] > 0.1 and result.metrics[-1]["reward_accuracy"] == 1.0
    assert result.metrics[-1]["loss"] < 0.69
    assert result.model_card and result.model_card["lora"]["r"] == 32  # merged into the export
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(result.hf_export_dir)
    assert not any("lora" in name for name, _ in model.named_parameters())
