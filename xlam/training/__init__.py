"""Training: SFT and DPO of dense and Mixtral-style MoE models (Ray Train / torchrun + DeepSpeed).

Public API: :class:`TrainConfig`, :func:`run_training` -> :class:`TrainResult`, recipes
(:data:`RECIPES`, :func:`get_recipe`), the GPU memory planner (:func:`plan` -> :class:`Plan`) and
:func:`export_checkpoint`. Heavy libraries (torch, transformers, deepspeed, ray) load lazily.
"""

from __future__ import annotations

from typing import Any

from xlam.training.config import TrainConfig, TrainConfigError, load_train_config, parse_train_config
from xlam.training.recipes import RECIPES, Recipe, get_recipe

__all__ = [
    "RECIPES",
    "Plan",
    "Recipe",
    "TrainConfig",
    "TrainConfigError",
    "TrainResult",
    "export_checkpoint",
    "get_recipe",
    "load_train_config",
    "parse_train_config",
    "plan",
    "run_training",
]

_LAZY = {
    "TrainResult": "xlam.training.launch",
    "run_training": "xlam.training.launch",
    "export_checkpoint": "xlam.training.export",
    "Plan": "xlam.training.planner",
    "plan": "xlam.training.planner",
}


def __getattr__(name: str) -> Any:  # lazy (PEP 562): these modules import torch; `import xlam.training` must not
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
