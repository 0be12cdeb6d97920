"""``TrainConfig``: the one typed configuration of a training run (CLI, control plane, pipelines).

Every model forbids unknown keys, so a typo is an error that names the field
(``load_train_config`` turns pydantic errors into :class:`TrainConfigError` with dotted paths).
Defaults follow the xLAM paper where it says something (cosine schedule, 100 warm-up steps, LoRA for
DPO and for xlam-8x22b) and ActionStudio's shipped configs where it does not (AdamW betas 0.9/0.999,
weight decay 0.01, LoRA r=32/alpha=64/dropout 0.05, min LR 1e-6).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from xlam.errors import XlamError, pydantic_field_path
from xlam.training.recipes import RECIPES


class TrainConfigError(XlamError):
    """A bad training configuration; ``str()`` names each offending field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelSettings(_Strict):
    recipe: str = Field(default="tiny", description="Recipe name (see xlam.training.recipes.RECIPES).")
    checkpoint: str | None = Field(default=None, description="Local HF checkpoint directory with the weights.")
    attn_implementation: str | None = Field(default=None, description="sdpa|eager|flash_attention_2 (None: auto).")
    experts_implementation: str | None = Field(
        default=None, description="MoE experts kernel: grouped_mm (default when available)|batched_mm|eager."
    )
    arch_overrides: dict[str, Any] = Field(
        default_factory=dict, description="Config fields to override (e.g. num_hidden_layers for a slice)."
    )
    train_top_layers: int | None = Field(
        default=None, ge=1,
        description="Train only the top N decoder layers and the final norm (embeddings and the rest frozen): "
        "the backward pass stops at layer N from the top (None: every parameter trains).",
    )

    @field_validator("recipe")
    @classmethod
    def _known_recipe(cls, value: str) -> str:
        if value not in RECIPES:
            raise ValueError(f"unknown recipe {value!r}; known: {', '.join(RECIPES)}")
        return value


class DataSettings(_Strict):
    datasets: list[str] = Field(default_factory=list, description="Dataset URIs, mixed with equal weights.")
    mixture: dict[str, Any] | None = Field(
        default=None, description="An xlam.mixture.MixConfig (sources with weights/epochs, temperature, seed)."
    )
    output_format: str = Field(
        default="python_calls",
        description="Target format when a record's meta has none (python_calls: BFCL's call lists). With "
        "prompt_mode=bfcl the target is always python_calls.",
    )
    prompt_mode: Literal["bfcl", "auto", "native", "prompt"] = Field(
        default="bfcl",
        description="bfcl: BFCL's prompt-mode system prompt listing the tools in BFCL's JSON form, the query as "
        "the user message, Python call lists as targets (what `xlam eval bfcl` shows the model); native: tools "
        "passed to the chat template; prompt: xLAM sectioned prompt; auto: native when the template takes tools.",
    )
    prompt_style: dict[str, Any] = Field(default_factory=dict, description="xlam.prompts.PromptStyle fields.")
    expansion: Literal["per_turn", "full", "per_user_turn"] = Field(
        default="per_turn",
        description="per_turn: one example per assistant turn (loss on that turn only); full: one example per "
        "record with loss on every assistant turn; per_user_turn (multi-turn records): one example per user "
        "turn with loss on every assistant turn of it.",
    )
    keep_thought: bool = Field(default=True, description="Keep step thoughts in the targets.")
    max_seq_len: int = Field(default=1024, ge=16, description="Tokens per packed row.")
    over_length: Literal["skip", "truncate"] = Field(
        default="skip", description="Examples longer than max_seq_len: skip them, or cut the prompt's left side."
    )
    packing: bool = Field(default=True, description="Pack several examples per row (documents kept apart).")
    micro_batch_size: int = Field(default=1, ge=1, description="Rows per micro-batch per worker.")
    pack_window: int = Field(default=64, ge=1, description="Examples considered together when packing.")

    @model_validator(mode="after")
    def _one_source(self) -> DataSettings:
        if self.datasets and self.mixture:
            raise ValueError("give either datasets or mixture, not both")
        return self


class OptimSettings(_Strict):
    lr: float = Field(default=1e-5, gt=0, description="Peak learning rate.")
    min_lr: float = Field(default=1e-6, ge=0, description="Final LR of the cosine decay.")
    warmup_steps: int = Field(default=100, ge=0, description="Linear warm-up (optimizer steps).")
    schedule: Literal["cosine", "constant"] = "cosine"
    weight_decay: float = Field(default=0.01, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    grad_clip: float = Field(default=1.0, ge=0, description="Global grad-norm clip (0: off).")
    grad_accum: int = Field(default=1, ge=1, description="Micro-batches per optimizer step.")
    max_steps: int = Field(default=100, ge=1, description="Optimizer steps.")
    neftune_alpha: float = Field(
        default=0.0, ge=0,
        description="NEFTune: uniform noise of size alpha / sqrt(row length x hidden size) added to the input "
                    "embeddings in training steps (0: off; Jain et al. 2023 use 5; a packed row counts as one sequence).")

    @model_validator(mode="after")
    def _lr_order(self) -> OptimSettings:
        if self.min_lr > self.lr:
            raise ValueError("min_lr must not exceed lr")
        return self


class LoraSettings(_Strict):
    enabled: bool | None = Field(default=None, description="None: the recipe's default for the method.")
    r: int = Field(default=32, ge=1)
    alpha: int = Field(default=64, ge=1)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | None = Field(default=None, description="None: the recipe's targets.")


class DPOSettings(_Strict):
    beta: float = Field(default=0.1, gt=0)
    label_smoothing: float = Field(default=0.0, ge=0, lt=0.5)
    reference: Literal["frozen", "precomputed"] = Field(
        default="frozen",
        description="frozen: reference log-probs from the frozen base (the LoRA-disabled model under LoRA); "
        "precomputed: read meta['ref_chosen_logp'/'ref_rejected_logp'] of each record.",
    )
    sft_weight: float = Field(default=0.0, ge=0, description="Add this times the chosen NLL (RPO-style).")


class MoESettings(_Strict):
    aux_loss_coef: float | None = Field(default=None, ge=0, description="Router load-balancing loss weight.")
    log_router_stats: bool = Field(default=True, description="Log per-expert token counts and router entropy.")


class PerfSettings(_Strict):
    """Fast paths of the training step (docs/TRAINING.md "Step speed"); each keeps the loss curve
    of the plain path (tests/training/test_fast_step.py). All off gives the reference step."""

    fused_cross_entropy: bool = Field(
        default=True, description="SFT: LM head + cross-entropy in token chunks, no full fp32 logits.")
    ce_chunk_tokens: int = Field(default=8192, ge=64, description="Tokens per chunk of the fused cross-entropy.")
    varlen_attention: bool = Field(
        default=True, description="Packed documents through flash varlen attention (cu_seqlens) instead of a "
        "block-diagonal mask; used when model.attn_implementation is unset.")
    fused_optimizer: bool = Field(
        default=True, description="torch engine, bf16: flat-buffer AdamW with fp32 masters in one fused kernel.")
    compile_layers: bool = Field(default=False, description="torch.compile each decoder layer (regional).")


class DistributedSettings(_Strict):
    launcher: Literal["ray", "torchrun", "local"] = Field(
        default="ray", description="ray: Ray Train TorchTrainer; torchrun: spawn torchrun; local: this process."
    )
    num_workers: int = Field(default=2, ge=1)
    use_gpu: bool = False
    engine: Literal["deepspeed", "torch"] = Field(
        default="deepspeed", description="deepspeed: ZeRO engine; torch: plain AdamW (+DDP when several workers)."
    )
    zero_stage: Literal[0, 1, 2, 3] = 2
    offload_optimizer: bool = False
    offload_params: bool = False
    max_failures: int = Field(default=2, ge=-1, description="Ray FailureConfig: worker-group restarts (-1: forever).")
    ray_address: str | None = Field(default=None, description="Ray cluster address (None: local Ray).")
    cpus_per_worker: float = Field(default=1.0, gt=0)
    expert_parallel: int = Field(
        default=1, ge=1, description="Ranks per expert-parallel group: each MoE layer's experts are sharded over "
        "them and tokens move by all-to-all (torch engine; must divide the world size and the expert count).")

    @model_validator(mode="after")
    def _consistent(self) -> DistributedSettings:
        if self.offload_params and self.zero_stage != 3:
            raise ValueError("offload_params needs zero_stage 3")
        if self.offload_optimizer and self.zero_stage == 0:
            raise ValueError("offload_optimizer needs zero_stage >= 1")
        if self.expert_parallel > 1 and self.engine != "torch":
            raise ValueError("expert_parallel > 1 needs engine 'torch'")
        if self.num_workers % self.expert_parallel:
            raise ValueError(f"expert_parallel {self.expert_parallel} must divide num_workers {self.num_workers}")
        if self.launcher == "local" and self.num_workers != 1:
            raise ValueError("launcher 'local' runs one worker in this process; use ray or torchrun for more")
        return self


class CheckpointSettings(_Strict):
    every_steps: int = Field(default=50, ge=1, description="Save every N optimizer steps (and at the end).")
    keep: int = Field(default=2, ge=2, description="Checkpoints kept (>= 2: the newest may be in flight).")
    storage_path: str | None = Field(default=None, description="fsspec URI for Ray run storage (None: output_dir).")
    resume: bool = Field(default=True, description="Resume from the newest complete checkpoint if any.")


class TrainConfig(_Strict):
    """A training run: recipe, method, data, optimisation, distribution, checkpoints."""

    name: str = Field(default="xlam-train", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    output_dir: str = Field(default="outputs/train", description="Local directory for checkpoints, logs, export.")
    method: Literal["sft", "dpo"] = "sft"
    seed: int = 0
    model: ModelSettings = Field(default_factory=ModelSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    optim: OptimSettings = Field(default_factory=OptimSettings)
    lora: LoraSettings = Field(default_factory=LoraSettings)
    dpo: DPOSettings = Field(default_factory=DPOSettings)
    moe: MoESettings = Field(default_factory=MoESettings)
    distributed: DistributedSettings = Field(default_factory=DistributedSettings)
    checkpoint: CheckpointSettings = Field(default_factory=CheckpointSettings)
    perf: PerfSettings = Field(default_factory=PerfSettings)
    precision: Literal["auto", "bf16", "fp32"] = Field(default="auto", description="auto: bf16 on GPU, fp32 on CPU.")
    activation_checkpointing: bool = False
    export: bool = Field(default=True, description="Write a consolidated HF safetensors model at the end.")
    log_every: int = Field(default=1, ge=1)
    crash_at_step: int | None = Field(
        default=None, description="Fault injection for tests: SIGKILL rank 0 once after this optimizer step."
    )

    @property
    def use_lora(self) -> bool:
        if self.lora.enabled is not None:
            return self.lora.enabled
        recipe = RECIPES[self.model.recipe]
        return (recipe.dpo_method if self.method == "dpo" else recipe.sft_method) == "lora"

    @model_validator(mode="after")
    def _needs_data(self) -> TrainConfig:
        if not self.data.datasets and not self.data.mixture:
            raise ValueError("data: give data.datasets or data.mixture")
        return self


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        out.append((pydantic_field_path(loc) or "<config>", err["msg"]))
    return out


def parse_train_config(raw: dict[str, Any]) -> TrainConfig:
    """Validate a dict; raises :class:`TrainConfigError` naming every bad field."""
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        raise TrainConfigError(_problems(exc)) from None


def load_train_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML/JSON file (plus dotted ``overrides`` like ``{"optim.lr": 1e-5}``) into a TrainConfig."""
    import yaml

    text = Path(path).read_text()
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict):
        raise TrainConfigError([("<config>", f"{path} must hold a mapping")])
    for dotted, value in (overrides or {}).items():
        node = raw
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return parse_train_config(raw)
