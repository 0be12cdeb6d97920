"""GPU memory planner: per-GPU memory by ZeRO stage and offload, minimum GPU count, recommended config.

The model (bytes per GPU, bf16 training with fp32 master weights, ``W`` data-parallel ranks):

- parameters: 2 B x all parameters (ZeRO-3: / W; parameter offload: none on the GPU);
- gradients: 2 B x trainable parameters (ZeRO-2/3: / W);
- optimizer: 16 B x trainable parameters (fp32 master 4 + Adam m, v 8 + the fp32 gradient partition
  4 that DeepSpeed's bf16 optimizers keep) (ZeRO-1/2/3: / W; optimizer offload: on the CPU);
- activations per layer and token, bf16, flash/SDPA attention (no s^2 term): attention
  ``2(6h + 2kv)`` + SwiGLU MLP ``2(h + 4F)`` per active expert (top-k), + router; with activation
  checkpointing only each layer's input (2h) is kept plus one layer's full activations;
- logits: ``s x V x 6 B`` (bf16 logits and the fp32 copy of the cross-entropy); with the fused
  cross-entropy of the torch engine (``engine="torch-fused"``) only one chunk of ``c`` tokens:
  ``c x V x 12 B`` (bf16 logits, fp32 softmax, bf16 gradient) plus the fp32 LM-head gradient
  ``V x h x 4 B`` and the hidden-state gradient ``s x h x 2 B``;
- engines: ``deepspeed`` (default) and ``torch`` (per-parameter fp32 masters and fp32 gradient
  copies, the reference path) 16 B optimizer per trainable parameter as above; ``torch-fused``
  (flat buffers, :mod:`xlam.training.optim`) 12 B (master + moments, the bf16 gradient is read);
- expert parallelism over ``ep`` ranks: the experts' parameters, gradients and optimizer states
  are divided by ``ep`` (ZeRO then shards the rest), plus the all-to-all buffers (top-k token
  copies of the hidden state, sent and received, forward and backward);
- buffers: ZeRO-3 gathers of the two largest layers (prefetch), plus a fixed 2.5 GiB (CUDA context,
  NCCL, allocator fragmentation).

Checked against measured peaks: CPU runs of small models in tests/training/test_planner.py (fp32,
``param_bytes=4``), and the H100 slices of benchmarks/train_throughput.py (docs/TRAINING.md).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xlam.training.recipes import Recipe, get_recipe

GIB = 2**30
GPUS: dict[str, float] = {
    "h100-80gb": 80.0,
    "h200-141gb": 141.0,
    "a100-80gb": 80.0,
    "a100-40gb": 40.0,
    "l40s-48gb": 48.0,
    "b200-192gb": 192.0,
}
Offload = Literal["none", "optimizer", "optimizer+params"]


class MemoryEstimate(BaseModel):
    """Per-GPU memory of one configuration, in GiB."""

    model_config = ConfigDict(extra="forbid")

    expert_parallel: int = 1
    zero_stage: int
    offload: Offload
    activation_checkpointing: bool
    micro_batch: int
    world_size: int
    params_gib: float
    grads_gib: float
    optimizer_gib: float
    activations_gib: float
    logits_gib: float
    buffers_gib: float
    total_gib: float
    cpu_offload_gib_per_rank: float = 0.0
    fits: bool = False


class Recommended(BaseModel):
    """The configuration to run (the K8s operator sizes RayJob worker groups from it)."""

    model_config = ConfigDict(extra="forbid")

    zero_stage: int
    offload: Offload
    nodes: int
    gpus_per_node: int
    micro_batch: int
    grad_accum: int
    activation_checkpointing: bool
    per_gpu_gib: float
    expert_parallel: int = 1

    @property
    def num_workers(self) -> int:
        return self.nodes * self.gpus_per_node

    def train_config_overrides(self) -> dict[str, Any]:
        """Dotted TrainConfig overrides that apply this recommendation."""
        return {
            "distributed.num_workers": self.num_workers,
            "distributed.zero_stage": self.zero_stage,
            "distributed.offload_optimizer": self.offload != "none",
            "distributed.offload_params": self.offload == "optimizer+params",
            "distributed.use_gpu": True,
            "data.micro_batch_size": self.micro_batch,
            "optim.grad_accum": self.grad_accum,
            "activation_checkpointing": self.activation_checkpointing,
            **({"distributed.expert_parallel": self.expert_parallel, "distributed.engine": "torch"}
               if self.expert_parallel > 1 else {}),
        }


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipe: str
    gpu: str
    gpu_memory_gib: float
    method: Literal["full", "lora"]
    seq: int
    total_params: int
    trainable_params: int
    nodes: int
    gpus_per_node: int
    estimates: list[MemoryEstimate] = Field(description="Every ZeRO/offload/checkpointing option at this size.")
    min_gpus: int | None = Field(description="Fewest GPUs on which some configuration fits (offload included).")
    min_gpus_without_offload: int | None = None
    recommended: Recommended | None
    notes: list[str] = Field(default_factory=list)


def _arch(recipe: Recipe, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    a = {**recipe.arch, **(overrides or {})}
    h = a["hidden_size"]
    heads = a["num_attention_heads"]
    head_dim = a.get("head_dim") or h // heads
    return {
        "h": h,
        "F": a["intermediate_size"],
        "L": a["num_hidden_layers"],
        "V": a["vocab_size"],
        "q": heads * head_dim,
        "kv": a["num_key_value_heads"] * head_dim,
        "E": a.get("num_local_experts", 1),
        "k": a.get("num_experts_per_tok", 1),
        "tied": a.get("tie_word_embeddings", False),
    }


def expert_params(recipe: Recipe, overrides: dict[str, Any] | None = None) -> int:
    """Parameters in the experts of all MoE layers (0 for dense models)."""
    a = _arch(recipe, overrides)
    return a["L"] * 3 * a["h"] * a["F"] * a["E"] if a["E"] > 1 else 0


def param_counts(recipe: Recipe, method: str, lora_r: int = 32, overrides: dict[str, Any] | None = None) -> tuple[int, int, int]:
    """(total, trainable, largest layer) parameter counts."""
    a = _arch(recipe, overrides)
    attn = a["h"] * a["q"] * 2 + a["h"] * a["kv"] * 2
    mlp = 3 * a["h"] * a["F"] * a["E"] + (a["h"] * a["E"] if a["E"] > 1 else 0)
    layer = attn + mlp + 2 * a["h"]
    embed = a["V"] * a["h"] * (1 if a["tied"] else 2)
    total = a["L"] * layer + embed + a["h"]
    if method == "lora":  # q, k, v, o adapters: r x (in + out) each
        per_layer = lora_r * ((a["h"] + a["q"]) * 2 + (a["h"] + a["kv"]) * 2)
        trainable = a["L"] * per_layer
    else:
        trainable = total
    return total, trainable, layer


def activation_bytes(recipe: Recipe, seq: int, micro_batch: int, checkpointing: bool,
                     act_bytes: int = 2, overrides: dict[str, Any] | None = None) -> float:
    a = _arch(recipe, overrides)
    tokens = seq * micro_batch
    attn = act_bytes * (6 * a["h"] + 2 * a["kv"])
    mlp = act_bytes * (a["h"] + 4 * a["F"]) * a["k"] + (4 * a["E"] if a["E"] > 1 else 0)
    per_layer_token = attn + mlp + act_bytes * 2 * a["h"]  # + residual stream copies
    if checkpointing:
        return float(tokens * (a["L"] * act_bytes * a["h"] + per_layer_token))
    return float(tokens * a["L"] * per_layer_token)


def estimate(recipe: Recipe, *, method: str, seq: int, micro_batch: int, world_size: int, zero_stage: int,
             offload: Offload, checkpointing: bool, lora_r: int = 32, param_bytes: int = 2,
             grad_bytes: int = 2, optimizer_bytes: int = 16, fixed_gib: float = 2.5,
             overrides: dict[str, Any] | None = None, capacity_gib: float | None = None,
             cpu_gib_per_node: float = 1024.0, ranks_per_node: int = 8,
             engine: Literal["deepspeed", "torch", "torch-fused"] = "deepspeed", ce_chunk: int = 8192,
             expert_parallel: int = 1) -> MemoryEstimate:
    """Per-GPU memory of one configuration (see the module doc for the model)."""
    total, trainable, layer = param_counts(recipe, method, lora_r, overrides)
    w = world_size
    # expert parallelism: each rank holds 1/ep of the experts (of the trainable ones too, full FT)
    ep_saved = expert_params(recipe, overrides) * (1 - 1 / expert_parallel) if expert_parallel > 1 else 0.0
    total_local = total - ep_saved
    trainable_local = trainable - (ep_saved if method != "lora" else 0.0)
    if engine == "torch-fused":
        optimizer_bytes -= 4
    params = float(param_bytes * total_local)
    if zero_stage == 3:
        params = 0.0 if offload == "optimizer+params" else params / w
    grads = grad_bytes * trainable_local / (w if zero_stage >= 2 else 1)
    opt_total = optimizer_bytes * trainable_local / (w if zero_stage >= 1 else 1)
    optimizer = 0.0 if offload != "none" else opt_total
    cpu = opt_total if offload != "none" else 0.0
    if offload == "optimizer+params":
        cpu += param_bytes * total / w
    a = _arch(recipe, overrides)
    acts = activation_bytes(recipe, seq, micro_batch, checkpointing, param_bytes, overrides)
    tokens = seq * micro_batch
    if engine == "torch-fused":  # fused cross-entropy: one chunk of logits at a time
        logits = min(tokens, ce_chunk) * a["V"] * (param_bytes + 4 + param_bytes) + a["V"] * a["h"] * 4 \
            + tokens * a["h"] * param_bytes
    else:
        logits = tokens * a["V"] * (param_bytes + 4)
    if expert_parallel > 1:  # dispatched token copies, sent + received, kept for the backward
        acts += a["L"] * tokens * a["k"] * a["h"] * param_bytes * 2
    buffers = fixed_gib * GIB + (2 * param_bytes * layer if zero_stage == 3 else 0)
    tot = params + grads + optimizer + acts + logits + buffers
    est = MemoryEstimate(
        zero_stage=zero_stage, offload=offload, activation_checkpointing=checkpointing, micro_batch=micro_batch,
        world_size=w, params_gib=params / GIB, grads_gib=grads / GIB, optimizer_gib=optimizer / GIB,
        activations_gib=acts / GIB, logits_gib=logits / GIB, buffers_gib=buffers / GIB, total_gib=tot / GIB,
        cpu_offload_gib_per_rank=cpu / GIB, expert_parallel=expert_parallel,
    )
    if capacity_gib is not None:
        est.fits = (est.total_gib <= 0.92 * capacity_gib
                    and est.cpu_offload_gib_per_rank * min(ranks_per_node, w) <= 0.8 * cpu_gib_per_node)
    return est


# Preference order: fastest first (no offload, least communication, no recomputation).
_OPTIONS: list[tuple[int, Offload, bool]] = [
    (2, "none", False), (2, "none", True), (3, "none", False), (3, "none", True),
    (3, "optimizer", True), (3, "optimizer+params", True),
]


def _world_sizes(gpus_per_node: int, max_nodes: int) -> list[int]:
    small = [g for g in (1, 2, 4) if g < gpus_per_node]
    return small + [n * gpus_per_node for n in range(1, max_nodes + 1)]


def plan(recipe: str | Recipe, gpu: str = "h100-80gb", *, gpus_per_node: int = 8, nodes: int | None = None,
         method: Literal["full", "lora"] | None = None, seq: int | None = None, micro_batch: int = 1,
         global_batch: int = 64, lora_r: int = 32, max_nodes: int = 64, cpu_gib_per_node: float = 1024.0,
         expert_parallel: int = 1) -> Plan:
    """Plan memory for ``recipe`` on ``gpu``.

    ``min_gpus`` is the fewest GPUs on which any configuration fits (offload included). With ``nodes``
    unset, the recommendation uses the fewest GPUs on which a configuration *without offload* fits
    (offload trades GPU count for step time), falling back to ``min_gpus``; ``estimates`` are reported
    at the recommended size."""
    r = get_recipe(recipe) if isinstance(recipe, str) else recipe
    if gpu not in GPUS:
        raise ValueError(f"unknown gpu {gpu!r}; known: {', '.join(GPUS)}")
    capacity = GPUS[gpu]
    method = method or r.sft_method
    seq = seq or r.default_seq_len
    total, trainable, _ = param_counts(r, method, lora_r)

    def options(world: int) -> list[MemoryEstimate]:
        if expert_parallel > 1:  # the torch engine: DDP for the dense part, experts sharded over ep ranks
            if world % expert_parallel:
                return []
            return [estimate(r, method=method, seq=seq, micro_batch=micro_batch, world_size=world, zero_stage=0,
                             offload="none", checkpointing=c, lora_r=lora_r, capacity_gib=capacity,
                             cpu_gib_per_node=cpu_gib_per_node, ranks_per_node=gpus_per_node,
                             engine="torch-fused", expert_parallel=expert_parallel) for c in (False, True)]
        return [estimate(r, method=method, seq=seq, micro_batch=micro_batch, world_size=world, zero_stage=z,
                         offload=o, checkpointing=c, lora_r=lora_r, capacity_gib=capacity,
                         cpu_gib_per_node=cpu_gib_per_node, ranks_per_node=gpus_per_node)
                for z, o, c in _OPTIONS]

    sizes = _world_sizes(gpus_per_node, max_nodes)
    min_gpus = next((w for w in sizes if any(e.fits for e in options(w))), None)
    min_no_offload = next((w for w in sizes if any(e.fits and e.offload == "none" for e in options(w))), None)
    if nodes is not None:
        world = nodes * gpus_per_node
    elif min_no_offload is not None or min_gpus is not None:
        world = int(min_no_offload if min_no_offload is not None else (min_gpus or 1))
    else:
        world = max_nodes * gpus_per_node
    estimates = options(world)
    best = next((e for e in estimates if e.fits), None)
    notes = []
    recommended = None
    if best is not None:
        n_nodes = max(1, math.ceil(world / gpus_per_node))
        per_node = world if world < gpus_per_node else gpus_per_node
        recommended = Recommended(
            zero_stage=best.zero_stage, offload=best.offload, nodes=n_nodes, gpus_per_node=per_node,
            micro_batch=micro_batch, grad_accum=max(1, math.ceil(global_batch / (micro_batch * world))),
            activation_checkpointing=best.activation_checkpointing, per_gpu_gib=round(best.total_gib, 2),
        )
    else:
        notes.append(f"no configuration fits {world} x {gpu}; need at least {min_gpus} GPUs" if min_gpus
                     else f"does not fit within {max_nodes} nodes")
    if expert_parallel > 1:
        if not r.is_moe or r.num_experts % expert_parallel:
            raise ValueError(f"expert_parallel {expert_parallel} needs a MoE recipe with a multiple of {expert_parallel} experts")
        notes.append(f"expert parallelism over {expert_parallel} ranks (torch engine, DDP for the dense part): "
                     "experts sharded, tokens by all-to-all; only world sizes divisible by it are considered.")
    if recommended is not None and expert_parallel > 1:
        recommended.expert_parallel = expert_parallel
    if r.is_moe and recommended and recommended.zero_stage == 3:
        notes.append("ZeRO-3 with the sparse-MoE block registered as a leaf module (one gather per block).")
    return Plan(recipe=r.name, gpu=gpu, gpu_memory_gib=capacity, method=method, seq=seq, total_params=total,
                trainable_params=trainable, nodes=max(1, math.ceil(world / gpus_per_node)),
                gpus_per_node=gpus_per_node if world >= gpus_per_node else world, estimates=estimates,
                min_gpus=min_gpus, min_gpus_without_offload=min_no_offload, recommended=recommended, notes=notes)
