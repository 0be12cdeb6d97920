"""Building blocks of ``benchmarks/train_throughput.py``: timing and memory primitives, the model slices, and
the steps it measures (plain transformers forward + backward, the earlier xlam step, the fast StepRunner
step) with the planner's memory estimate."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlam.training.recipes import get_recipe

FAST = {  # key -> (grad_accum or None for --grad-accum, rows per micro-batch or None for --rows, compile)
    "fast": (1, 1, False), "fast_ga": (None, 1, False), "fast_ga16": (16, 1, False),
    "fast_compile_ga": (None, 1, True), "fast_compile_ga16": (16, 1, True), "fast_compile_mb4": (None, 4, True),
    "fast_mb": (None, None, False), "fast_mb_compile": (None, None, True),
}
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_gib(device: torch.device) -> float:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else 0.0


def free_memory(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def matmul_rate(device: torch.device, n: int = 8192, iters: int = 30) -> float:
    """FLOP/s of an n^3 bf16 GEMM (fp32 and n=512 on CPU: only the smoke test runs there)."""
    if device.type != "cuda":
        a, b = torch.randn(512, 512), torch.randn(512, 512)
        t = time.perf_counter()
        for _ in range(10):
            a @ b
        return 2 * 512**3 * 10 / (time.perf_counter() - t)
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(5):
        a @ b
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(iters):
        start.record()
        a @ b
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    times.sort()
    return 2 * n**3 / times[len(times) // 2]


def flops_per_token(config: Any, seq: int, doc_len: int) -> float:
    """6 x active matmul parameters + causal attention (12 L d s_doc / 2) per token."""
    d, layers = config.hidden_size, config.num_hidden_layers
    heads, kv = config.num_attention_heads, config.num_key_value_heads
    head_dim = getattr(config, "head_dim", None) or d // heads
    attn_params = d * heads * head_dim * 2 + d * kv * head_dim * 2
    experts = getattr(config, "num_experts_per_tok", 1) if hasattr(config, "num_local_experts") else 1
    mlp_params = 3 * d * config.intermediate_size * experts
    router = d * getattr(config, "num_local_experts", 0)
    active = layers * (attn_params + mlp_params + router) + d * config.vocab_size
    attention = 6 * layers * heads * head_dim * doc_len  # fwd+bwd of QK^T and AV, causal half
    return 6 * active + attention


def packed_batch(seq: int, vocab: int, doc_len: int, device: torch.device | str, rows: int = 1) -> dict[str, torch.Tensor]:
    """``rows`` packed rows of ``seq`` tokens, documents of ``doc_len`` (positions reset, targets
    shifted per document)."""
    ids = torch.randint(0, vocab, (rows, seq), device=device)
    pos = (torch.arange(seq, device=device) % doc_len).expand(rows, seq).contiguous()
    targets = torch.roll(ids, -1, dims=1)
    targets[pos == doc_len - 1] = -100
    targets[:, -1] = -100
    return {"input_ids": ids, "position_ids": pos, "targets": targets,
            "token_mask": torch.ones_like(ids, dtype=torch.bool)}


def time_steps(fn: Any, steps: int, device: torch.device, warmup: int = 2) -> float:
    """Median seconds per call (the slowest rank's median under torchrun)."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    if dist.is_initialized():
        median = all_reduce_max(median, device)
    return median


def all_reduce_max(value: float, device: torch.device) -> float:
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return float(t.item())


def build(recipe_name: str, layers: int | None, dtype: torch.dtype, experts: str | None,
          device: torch.device | str = "cuda") -> Any:
    from transformers import AutoModelForCausalLM

    recipe = get_recipe(recipe_name)
    overrides: dict[str, Any] = {"num_hidden_layers": layers} if layers else {}
    config = recipe.config(**overrides)
    kwargs: dict[str, Any] = {"attn_implementation": "sdpa"}
    if recipe.is_moe and experts:
        kwargs["experts_implementation"] = experts
    torch.manual_seed(0)  # identical initial weights on every rank
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, **kwargs)
    model.config.use_cache = False
    return model


def hf_baseline(recipe_name: str, layers: int | None, seq: int, doc_len: int, steps: int,
                experts: str = "eager", device: torch.device | None = None) -> float:
    device = device or torch.device("cuda")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    model = build(recipe_name, layers, dtype, experts, device).train()
    batch = packed_batch(seq, model.config.vocab_size, doc_len, device)

    def step() -> None:
        out = model(input_ids=batch["input_ids"], labels=batch["input_ids"], use_cache=False)
        out.loss.backward()
        model.zero_grad(set_to_none=True)

    return time_steps(step, steps, device)


def xlam_step(recipe_name: str, layers: int | None, seq: int, doc_len: int, steps: int, checkpointing: bool,
              experts: str = "grouped_mm", grad_accum: int = 1, device: torch.device | None = None,
              engine_name: str = "torch", zero_stage: int = 0, sync_every_micro: bool = False,
              return_fn: bool = False) -> Any:
    """Seconds per optimizer step of ``grad_accum`` micro-batches (per rank), and peak GiB (max over ranks).

    Mirrors ``xlam.training.loop.Trainer.train_step``: forward through the engine's module, token
    CE + router aux loss, ``engine.backward``, ``micro_step`` between micro-batches, ``step``.
    """
    from xlam.training.config import TrainConfig
    from xlam.training.engine import DeepSpeedEngine, Engine, TorchEngine
    from xlam.training.losses import router_stats_reference as router_stats
    from xlam.training.losses import sft_loss_sum
    from xlam.training.models import moe_block_class

    device = device or torch.device("cuda")
    world = dist.get_world_size() if dist.is_initialized() else 1
    cuda = device.type == "cuda"
    config = TrainConfig.model_validate({
        "model": {"recipe": recipe_name}, "data": {"datasets": ["unused"]},
        "distributed": {"launcher": "torchrun" if world > 1 else "local", "num_workers": world, "use_gpu": cuda,
                        "engine": engine_name, "zero_stage": zero_stage},
        "optim": {"lr": 1e-5, "warmup_steps": 2, "max_steps": 100, "grad_accum": grad_accum},
        "perf": {"fused_cross_entropy": False, "varlen_attention": False, "fused_optimizer": False},
    })
    model = build(recipe_name, layers, torch.float32, experts, device)
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    model_config = model.config
    engine: Engine
    if engine_name == "deepspeed":
        os.environ.setdefault("DS_ACCELERATOR", "cuda" if cuda else "cpu")
        block = moe_block_class(model)
        if block is not None and zero_stage == 3:
            from deepspeed.utils import set_z3_leaf_modules

            set_z3_leaf_modules(model, [block])
        engine = DeepSpeedEngine(model, config, bf16=cuda)
    else:
        engine = TorchEngine(model, config, device, bf16=cuda)
        if sync_every_micro:
            engine.accumulate = 1  # all-reduce after every micro-batch (DDP without no_sync)
    del model
    moe = hasattr(model_config, "num_local_experts")
    torch.manual_seed(1 + (dist.get_rank() if dist.is_initialized() else 0))  # each rank its own rows
    batch = packed_batch(seq, model_config.vocab_size, doc_len, device)

    def micro() -> None:
        out = engine.forward_module()(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                                      output_router_logits=moe or None, use_cache=False)
        loss, n = sft_loss_sum(out.logits, batch["targets"])
        loss = loss / (n * grad_accum * world)
        if moe:
            stats = router_stats(out.router_logits, model_config.num_local_experts,
                                 model_config.num_experts_per_tok, batch["token_mask"])
            loss = loss + model_config.router_aux_loss_coef * stats["aux_loss"] / grad_accum / world
        engine.backward(loss)

    def step() -> None:
        for i in range(grad_accum):
            micro()
            if i < grad_accum - 1:
                engine.micro_step()
        engine.step()

    if return_fn:
        return step
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    seconds = time_steps(step, steps, device)
    peak = peak_gib(device)
    if dist.is_initialized():
        peak = all_reduce_max(peak, device)
    return seconds, peak  # the caller frees the engine (free_memory) once this frame is gone


def fast_config(recipe_name: str, *, grad_accum: int, rows: int, seq: int, compile_layers: bool, fast: bool = True,
                world: int = 1, cuda: bool = True) -> Any:
    from xlam.training.config import TrainConfig

    return TrainConfig.model_validate({
        "model": {"recipe": recipe_name}, "data": {"datasets": ["unused"], "max_seq_len": seq, "micro_batch_size": rows},
        "distributed": {"launcher": "torchrun" if world > 1 else "local", "num_workers": world, "use_gpu": cuda,
                        "engine": "torch"},
        "optim": {"lr": 1e-5, "warmup_steps": 2, "max_steps": 100, "grad_accum": grad_accum},
        "perf": {"fused_cross_entropy": fast, "varlen_attention": fast, "fused_optimizer": fast,
                 "compile_layers": compile_layers},
    })


def build_runner(recipe_name: str, layers: int | None, config: Any, device: torch.device,
                 expert_parallel: int = 1) -> Any:
    """Model + engine + :class:`xlam.training.loop.StepRunner` exactly as the loop builds them."""
    from xlam.training.engine import TorchEngine
    from xlam.training.loop import StepRunner, prepare_model

    model = build(recipe_name, layers, torch.float32, "grouped_mm", device)  # sdpa; varlen if config.perf says so
    fast = prepare_model(model, config)
    model.train()
    model_config = model.config
    moe = hasattr(model_config, "num_local_experts")
    ep = None
    if expert_parallel > 1:
        from xlam.training.expert_parallel import ExpertParallel

        ep = ExpertParallel(model, expert_parallel)
        model.to(device)
    engine = TorchEngine(model, config, device, bf16=device.type == "cuda", expert_parallel=ep)
    world = dist.get_world_size() if dist.is_initialized() else 1
    runner = StepRunner(engine, config, model_config, device, world, head=fast["head"], varlen=fast["varlen"],
                        moe=moe, aux_coef=float(getattr(model_config, "router_aux_loss_coef", 0.0) or 0.0) if moe else 0.0,
                        num_experts=getattr(model_config, "num_local_experts", 0) or 0)
    return runner


def fast_step(recipe_name: str, layers: int | None, seq: int, doc_len: int, steps: int, *, grad_accum: int,
              rows: int, compile_layers: bool, device: torch.device,
              expert_parallel: int = 1) -> tuple[float, float, float]:
    """Seconds per optimizer step (the slowest rank's median under torchrun), peak GiB (max over
    ranks) and the planner's one-GPU estimate for the fast step."""
    cuda = device.type == "cuda"
    world = dist.get_world_size() if dist.is_initialized() else 1
    config = fast_config(recipe_name, grad_accum=grad_accum, rows=rows, seq=seq, compile_layers=compile_layers,
                         cuda=cuda, world=world)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    runner = build_runner(recipe_name, layers, config, device, expert_parallel)
    vocab = runner.model_config.vocab_size
    torch.manual_seed(1 + (dist.get_rank() if dist.is_initialized() else 0))  # each rank its own rows
    batches = [packed_batch(seq, vocab, doc_len, "cpu", rows) for _ in range(grad_accum)]
    units = float(sum(int((b["targets"] != -100).sum()) for b in batches))

    def step() -> None:
        runner.run(batches, units)

    seconds = time_steps(step, steps, device, warmup=3 if compile_layers else 2)
    peak = peak_gib(device)
    if dist.is_initialized():
        peak = all_reduce_max(peak, device)
    return seconds, peak, planner_gib(recipe_name, layers, seq, rows, fused=True)


def planner_gib(recipe_name: str, layers: int | None, seq: int, rows: int, *, fused: bool) -> float:
    """The planner's one-GPU estimate (no ZeRO) for this step."""
    from xlam.training.planner import estimate

    overrides = {"num_hidden_layers": layers} if layers else None
    return estimate(get_recipe(recipe_name), method="full", seq=seq, micro_batch=rows, world_size=1, zero_stage=0,
                    offload="none", checkpointing=False, overrides=overrides,
                    engine="torch-fused" if fused else "torch").total_gib
