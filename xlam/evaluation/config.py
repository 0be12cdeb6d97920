"""Typed configuration of a BFCL evaluation run (shared by the CLI, pipelines and the control plane)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from xlam.bfcl.data import SINGLE_TURN_CATEGORIES
from xlam.generators import GeneratorConfig

#: BFCL's non-live AST categories plus irrelevance: the default (and the SmolLM2 baseline) set.
DEFAULT_CATEGORIES: tuple[str, ...] = tuple(c for c in SINGLE_TURN_CATEGORIES if not c.startswith("live_"))
#: Every single-turn category we score.
SINGLE_TURN: tuple[str, ...] = SINGLE_TURN_CATEGORIES
CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "non_live": DEFAULT_CATEGORIES,
    "live": SINGLE_TURN[len(DEFAULT_CATEGORIES) :],
    "single_turn": SINGLE_TURN,
    "all": SINGLE_TURN,
    "python": tuple(c for c in SINGLE_TURN if c not in ("simple_java", "simple_javascript")),
}


def expand_categories(names: list[str]) -> list[str]:
    """Category names and group names (``non_live``, ``live``, ``single_turn``, ``python``), deduplicated."""
    out: list[str] = []
    for name in names:
        for cat in CATEGORY_GROUPS.get(name, (name,)):
            if cat not in SINGLE_TURN:
                raise ValueError(f"unknown or unsupported BFCL category {cat!r}; known: {', '.join(SINGLE_TURN)}")
            if cat not in out:
                out.append(cat)
    return out


class EvalConfig(BaseModel):
    """What to evaluate and how.

    ``model`` is a checkpoint directory, a ``.gguf`` file, ``smol`` (the packaged SmolLM2-135M-Instruct)
    or a training recipe name with packaged weights; it fills ``generator.model`` for the ``hf``
    backend (for ``openai`` it is the model name sent to the endpoint).
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field(default="smol", description="Checkpoint dir, .gguf file, 'smol', or recipe name.")
    generator: GeneratorConfig = Field(
        default_factory=lambda: GeneratorConfig(backend="hf"), description="Generator backend (hf or openai)."
    )
    categories: list[str] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES), description="Categories or groups.")
    limit: int | None = Field(default=None, ge=1, description="Items per category (first N in file order); None = all.")
    prompt_mode: Literal["native", "prompt"] = Field(
        default="prompt",
        description="prompt: BFCL's system prompt and Python call list; native: tools through the chat template / API.",
    )
    max_tokens: int = Field(default=256, ge=1, description="Most new tokens per answer.")
    call_bias: float = Field(
        default=0.0, ge=-20, le=20,
        description="Prompt mode, hf backend: added to the logit of the call list's opening '[' at the answer's first "
        "token (> 0 calls more often, < 0 replies more often); fitted on held-out synthetic samples by "
        "xlam.evaluation.call_bias (an experiment's `eval.call_bias: auto`).")
    fit_max_tokens: bool = Field(
        default=False,
        description="Per category: the longest accepted gold answer of the selected items (in the model's tokens) "
        "+ 16, at least 32 and at most max_tokens (the hf backend; others keep max_tokens).",
    )
    underscore_to_dot: bool = Field(
        default=False, description="native mode: send dotted names as a_b (APIs that forbid dots) and map them back."
    )
    data_dir: str | None = Field(default=None, description="BFCL data directory (default: the installed bfcl-eval).")
    label: str | None = Field(default=None, description="Display name of this run in reports (default: model).")

    @field_validator("categories")
    @classmethod
    def _expand(cls, value: list[str]) -> list[str]:
        return expand_categories(value)

    def display_name(self) -> str:
        return self.label or self.model
