"""``optim.neftune_alpha``: noisy input embeddings in training steps only (NEFTune, transformers' hook)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist

from xlam.training import TrainConfig
from xlam.training.loop import add_embedding_noise
from xlam.training.models import build_model
from xlam.training.recipes import get_recipe


def test_noise_in_training_mode_only_and_of_the_stated_size() -> None:
    model = build_model(get_recipe("tiny"), seed=0)
    ids = torch.randint(0, model.config.vocab_size, (2, 64))
    embed = model.get_input_embeddings()
    clean = embed(ids).detach()
    handle = add_embedding_noise(model, 5.0)
    model.train()
    noisy = embed(ids).detach()
    bound = 5.0 / math.sqrt(64 * clean.shape[-1])
    diff = (noisy - clean).abs()
    assert 0 < diff.max().item() <= bound * (1 + 1e-6)
    assert diff.mean().item() == pytest.approx(bound / 2, rel=0.05)  # uniform on [-bound, bound]
    model.eval()
    assert torch.equal(embed(ids), clean)
    handle.remove()
    model.train()
    assert torch.equal(embed(ids), clean)


def test_alpha_is_validated() -> None:
    with pytest.raises(ValueError, match="neftune_alpha"):
        TrainConfig.model_validate({"optim": {"neftune_alpha": -1}})


@pytest.mark.slow
def test_the_trainer_adds_the_noise_to_its_steps(tmp_path: Path, dataset_uri: str, process_group: Any) -> None:
    """Same seed and data: the first step's loss differs with the noise on, and not between two runs without."""
    from xlam.training.loop import Trainer

    def first_loss(name: str, alpha: float) -> float:
        config = TrainConfig.model_validate({
            "output_dir": str(tmp_path / name), "seed": 5, "model": {"recipe": "tiny"},
            "data": {"datasets": [dataset_uri], "max_seq_len": 512},
            "optim": {"lr": 1e-3, "warmup_steps": 1, "max_steps": 2, "neftune_alpha": alpha},
            "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"}, "export": False,
        })
        trainer = Trainer(config)
        loss = float(trainer.train_step()["loss"])
        dist.destroy_process_group()
        return loss

    off, off_again, on = first_loss("a", 0.0), first_loss("b", 0.0), first_loss("c", 50.0)
    assert off == off_again
    assert on != off
