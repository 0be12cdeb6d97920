"""``model.train_top_layers``: only the top decoder layers (and the final norm) train."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from xlam.training import TrainConfig, run_training
from xlam.training.loop import freeze_below_top_layers
from xlam.training.models import build_model
from xlam.training.recipes import get_recipe


def test_freeze_keeps_only_the_top_layers_trainable() -> None:
    model = build_model(get_recipe("tiny"), seed=0)
    freeze_below_top_layers(model, 1)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(("model.layers.1.", "model.norm.")) for n in trainable)
    assert "model.norm.weight" in trainable and not any("embed_tokens" in n for n in trainable)


@pytest.mark.slow
def test_a_run_changes_only_the_top_layers(tmp_path: Path, dataset_uri: str) -> None:
    from transformers import AutoModelForCausalLM

    config = TrainConfig.model_validate({
        "output_dir": str(tmp_path / "run"), "seed": 3,
        "model": {"recipe": "tiny", "train_top_layers": 1},
        "data": {"datasets": [dataset_uri], "max_seq_len": 1024},
        "optim": {"lr": 1e-2, "warmup_steps": 1, "max_steps": 2},
        "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"},
    })
    result = run_training(config)
    assert result.final_step == 2 and result.hf_export_dir
    before = build_model(get_recipe("tiny"), seed=3).state_dict()
    after = AutoModelForCausalLM.from_pretrained(result.hf_export_dir).state_dict()
    changed = {k for k, v in before.items() if not torch.equal(v, after[k])}
    assert changed and all(k.startswith(("model.layers.1.", "model.norm.")) for k in changed), sorted(changed)[:5]
    assert any(k.startswith("model.layers.1.mlp") for k in changed)
