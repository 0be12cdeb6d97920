"""What a quickstart does at each size: data, synthesis, training and evaluation budgets.

A size names the model recipe and the work around it. The defaults are chosen so the whole loop
finishes within the documented time on a 2-core CPU machine (see docs/QUICKSTART.md for the
measurements); the knobs (``--train-steps``, ``--synth-n``, ``--eval-limit``) shrink or grow it.
With a CUDA GPU the same sizes train and evaluate on it, and evaluate more items
(:meth:`QuickstartOptions.profile`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: BFCL single-turn categories unified into the seed dataset: the *live* (user-contributed) sets, so
#: the seed never contains an item the model is scored on.
SEED_CATEGORIES = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
#: BFCL categories the model and its base are scored on (the non-live AST categories + irrelevance).
EVAL_CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance")
#: The AST categories whose unweighted mean is the headline number (BFCL's non-live AST mean).
AST_CATEGORIES = EVAL_CATEGORIES[:4]
#: APIGen styles of the synthesized training data and their relative weights, and the share of
#: samples whose tools get namespaced names (``math.factorial``), as BFCL has. No clarification
#: dialogues (``missing_parameter``): BFCL's single-turn items never ask back, and in a 48-step run
#: their "To do X, I need Y. Could you provide it?" turns taught the model to ask instead of call
#: (docs/QUICKSTART.md). Irrelevance at 0.75 (~22% of the samples): the best trade-off measured in
#: 48 steps (AST mean 0 -> 21.2, irrelevance 45%, short of the issue's 60%). Measured alternatives
#: (docs/QUICKSTART.md, runs table): 1.0 (~27%) gave 21.2 / 45; 1.5 (~34%) 5.0 / 85; 1.0 with
#: near-miss refusals (SynthesisConfig.irrelevance_near_miss_rate 1.0: the offered tools from the
#: withheld tool's own category, as BFCL's irrelevance items mostly are) 12.5 / 80; 0.75 with near
#: misses 18.8 / 20; 1.0 with half near misses 16.2 / 55. bf16 results differ by CPU kind: this
#: default gave 11.2 / 70 on an AMD EPYC (AVX512-BF16) where 1.0 gave 21.2 / 45. Twice the steps on twice
#: the samples (SMOL_SFT_STEPS, SMOL_SYNTH_N) gave 20.0 / 75 there in 688 s: both targets.
STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")
STYLE_WEIGHTS: dict[str, float] = {"irrelevance": 0.75}
NAMESPACE_RATE = 0.5


def gpu_available() -> bool:
    """Whether torch sees a CUDA device (False where torch is not installed)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AMX or AVX512-BF16): bf16 weights then run 2-6x
    faster than fp32 on CPU; elsewhere bf16 is emulated and slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


#: The smol sizes' budget on CPU (measured in docs/QUICKSTART.md): 48 steps on 160 samples missed one of
#: issue 14's targets on each CPU kind (Intel/AMX 21.2 AST / 45 irrelevance, AMD EPYC 11.2 / 70); 96 steps on
#: 320 samples met both on the AMD EPYC (20.0 / 75, whole run 688 s of the 15 minutes).
SMOL_SYNTH_N = 320
SMOL_SFT_STEPS = 96
SMOL_LR = 1e-4
#: Trained decoder layers (None: all). Training only the top 10 of 30 costs ~1/2 the CPU per step
#: but learnt far less in 48 steps (docs/QUICKSTART.md), so the smol sizes fine-tune everything.
SMOL_TOP_LAYERS: int | None = None


class SizeProfile(BaseModel):
    """The budget of one quickstart size."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipe: str = Field(description="xlam.training recipe trained by SFT (then DPO when dpo_steps > 0).")
    description: str
    base_model: str = Field(description="EvalConfig.model of the baseline scored next to the trained model.")
    base_label: str
    synth_n: int = Field(ge=1, description="Verified APIGen samples to synthesize.")
    sft_steps: int = Field(ge=1)
    dpo_steps: int = Field(ge=0, description="0: no DPO run (the SFT version is evaluated and promoted).")
    sft_seq_len: int = Field(default=1024, ge=64, description="Tokens per packed SFT row.")
    dpo_seq_len: int = Field(default=2048, ge=64, description="Tokens per DPO pair row (2 x prompt + both answers).")
    grad_accum: int = Field(default=1, ge=1, description="Packed rows per SFT optimizer step.")
    train_top_layers: int | None = Field(
        default=None, ge=1, description="SFT trains only the top N decoder layers (None: all parameters).")
    lr: float = Field(gt=0)
    eval_limit: int = Field(ge=1, description="BFCL items per category (the first N in file order).")
    eval_max_tokens: int | None = Field(
        default=None, ge=8,
        description="New tokens per BFCL answer; None: fitted to the longest gold answer of the evaluated items + 16.")
    eval_batch_size: int = Field(default=16, ge=1, description="Prompts per generate() batch.")
    use_gpu: bool = Field(default=False, description="Train and evaluate on the CUDA GPU.")
    precision: str = Field(default="fp32", description="Training precision (fp32 | bf16).")
    eval_dtype: str = Field(default="float32", description="Evaluation weights dtype (float32 | bfloat16).")


SIZES: dict[str, SizeProfile] = {
    "tiny-moe": SizeProfile(
        recipe="tiny-moe",
        description="random 2-layer Mixtral (4 experts, top-2): the fastest smoke run of the loop, no skill",
        base_model="smol", base_label="SmolLM2-135M-Instruct (reference)",
        synth_n=96, sft_steps=30, dpo_steps=10, lr=1e-3,
        eval_limit=2, eval_max_tokens=64,
    ),
    "smol": SizeProfile(
        recipe="smol",
        description="SmolLM2-135M-Instruct, fully fine-tuned (SFT) on BFCL-style prompts of synthesized data",
        base_model="smol", base_label="SmolLM2-135M-Instruct (base)",
        synth_n=SMOL_SYNTH_N, sft_steps=SMOL_SFT_STEPS, dpo_steps=0, lr=SMOL_LR, grad_accum=1,
        train_top_layers=SMOL_TOP_LAYERS, eval_limit=20,
    ),
    "smol-moe": SizeProfile(
        recipe="smol-moe",
        description="SmolLM2-135M sparse-upcycled to 4 experts (top-2), fully fine-tuned (SFT)",
        base_model="smol", base_label="SmolLM2-135M-Instruct (base, before upcycling)",
        synth_n=SMOL_SYNTH_N, sft_steps=SMOL_SFT_STEPS, dpo_steps=0, lr=SMOL_LR, grad_accum=1,
        train_top_layers=SMOL_TOP_LAYERS, eval_limit=20,
    ),
}
DEFAULT_SIZE = "smol"
#: With a GPU: items per category evaluated (instead of the CPU budget) and prompts per batch.
GPU_EVAL_LIMIT = 100
GPU_EVAL_BATCH = 32


class QuickstartOptions(BaseModel):
    """Everything ``xlam quickstart`` takes."""

    model_config = ConfigDict(extra="forbid")

    size: str = DEFAULT_SIZE
    out: Path = Path("xlam-quickstart")
    fresh: bool = False
    max_minutes: float = Field(default=60.0, gt=0, description="Give up (naming the step) after this long.")
    train_steps: int | None = Field(default=None, ge=1, description="SFT steps (DPO gets a third, at least 1, for sizes that have DPO: tiny-moe).")
    synth_n: int | None = Field(default=None, ge=1)
    eval_limit: int | None = Field(default=None, ge=1)
    eval_max_tokens: int | None = Field(default=None, ge=8, description="New tokens per BFCL answer.")
    keep_running: bool = Field(default=False, description="Leave the API and worker up at the end (Ctrl-C stops).")
    launcher: Literal["local", "ray"] = Field(
        default="local",
        description="local: one training worker in the run's process, plain torch engine (no Ray/DeepSpeed start-up); "
        "ray: Ray Train (1 worker) + DeepSpeed ZeRO-2, the same per-worker loop.")
    project: str = "quickstart"
    model_name: str = "xlam-quickstart"

    def profile(self, *, gpu: bool | None = None) -> SizeProfile:
        """The size's budget with this machine's devices and the options applied."""
        base = SIZES[self.size]
        update: dict[str, object] = {}
        if gpu if gpu is not None else gpu_available():
            update.update(use_gpu=True, precision="bf16", eval_dtype="bfloat16", eval_batch_size=GPU_EVAL_BATCH,
                          eval_limit=max(base.eval_limit, GPU_EVAL_LIMIT) if base.recipe != "tiny-moe" else base.eval_limit)
        elif cpu_has_fast_bf16():
            update.update(precision="bf16", eval_dtype="bfloat16")
        if self.train_steps is not None:
            # DPO only where the size has it (tiny-moe): --train-steps must not add a stage to smol
            update.update(sft_steps=self.train_steps, dpo_steps=max(1, self.train_steps // 3) if base.dpo_steps else 0)
        if self.synth_n is not None:
            update["synth_n"] = self.synth_n
        if self.eval_limit is not None:
            update["eval_limit"] = self.eval_limit
        if self.eval_max_tokens is not None:
            update["eval_max_tokens"] = self.eval_max_tokens
        return base.model_copy(update=update)
