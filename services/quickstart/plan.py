"""What a quickstart does at each size: data, synthesis, training and evaluation budgets.

A size names the model recipe and the work around it. The defaults are chosen so the whole loop
finishes within the documented time on a 2-core CPU machine (see docs/QUICKSTART.md for the
measurements); the knobs (``--train-steps``, ``--synth-n``, ``--eval-limit``) shrink or grow it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

#: BFCL single-turn categories unified into the seed dataset: the *live* (user-contributed) sets, so
#: the seed never contains an item the model is scored on.
SEED_CATEGORIES = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
#: BFCL categories the model and its base are scored on (non-live AST categories + irrelevance).
EVAL_CATEGORIES = ("simple_python", "multiple", "parallel", "irrelevance")


class SizeProfile(BaseModel):
    """The budget of one quickstart size."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipe: str = Field(description="xlam.training recipe trained by SFT then DPO.")
    description: str
    base_model: str = Field(description="EvalConfig.model of the baseline scored next to the trained model.")
    base_label: str
    synth_n: int = Field(ge=1, description="Verified APIGen samples to synthesize.")
    sft_steps: int = Field(ge=1)
    dpo_steps: int = Field(ge=1)
    sft_seq_len: int = Field(default=1024, ge=64, description="Tokens per packed SFT row.")
    dpo_seq_len: int = Field(default=2048, ge=64, description="Tokens per DPO pair row (2 x prompt + both answers).")
    lr: float = Field(gt=0)
    eval_limit: int = Field(ge=1, description="BFCL items per category.")
    eval_max_tokens: int = Field(ge=8)


SIZES: dict[str, SizeProfile] = {
    "tiny-moe": SizeProfile(
        recipe="tiny-moe",
        description="random 2-layer Mixtral (4 experts, top-2): trains in seconds; shows the loop, not skill",
        base_model="smol", base_label="SmolLM2-135M-Instruct (reference)",
        synth_n=96, sft_steps=30, dpo_steps=10, lr=1e-3,
        eval_limit=2, eval_max_tokens=64,
    ),
    "smol": SizeProfile(
        recipe="smol",
        description="SmolLM2-135M-Instruct, fully fine-tuned (SFT) then DPO with LoRA",
        base_model="smol", base_label="SmolLM2-135M-Instruct (base)",
        synth_n=96, sft_steps=12, dpo_steps=4, lr=2e-5,
        eval_limit=3, eval_max_tokens=96,
    ),
    "smol-moe": SizeProfile(
        recipe="smol-moe",
        description="SmolLM2-135M sparse-upcycled to 4 experts (top-2), SFT then DPO with LoRA",
        base_model="smol", base_label="SmolLM2-135M-Instruct (base)",
        synth_n=96, sft_steps=8, dpo_steps=3, lr=2e-5,
        eval_limit=3, eval_max_tokens=96,
    ),
}
DEFAULT_SIZE = "tiny-moe"


class QuickstartOptions(BaseModel):
    """Everything ``xlam quickstart`` takes."""

    model_config = ConfigDict(extra="forbid")

    size: str = DEFAULT_SIZE
    out: Path = Path("xlam-quickstart")
    fresh: bool = False
    max_minutes: float = Field(default=30.0, gt=0, description="Give up (naming the step) after this long.")
    train_steps: int | None = Field(default=None, ge=1, description="SFT steps (DPO gets a third, at least 1).")
    synth_n: int | None = Field(default=None, ge=1)
    eval_limit: int | None = Field(default=None, ge=1)
    eval_max_tokens: int | None = Field(default=None, ge=8, description="New tokens per BFCL answer.")
    keep_running: bool = Field(default=False, description="Leave the API and worker up at the end (Ctrl-C stops).")
    project: str = "quickstart"
    model_name: str = "xlam-quickstart"

    def profile(self) -> SizeProfile:
        base = SIZES[self.size]
        update: dict[str, object] = {}
        if self.train_steps is not None:
            update.update(sft_steps=self.train_steps, dpo_steps=max(1, self.train_steps // 3))
        if self.synth_n is not None:
            update["synth_n"] = self.synth_n
        if self.eval_limit is not None:
            update["eval_limit"] = self.eval_limit
        if self.eval_max_tokens is not None:
            update["eval_max_tokens"] = self.eval_max_tokens
        return base.model_copy(update=update)
