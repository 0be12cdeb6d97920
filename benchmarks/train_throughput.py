"""Training throughput on H100/H200: tokens/s and MFU of the full training step.

Slices are layer-exact: Mixtral-8x7B with 2 decoder layers and Mixtral-8x22B with 1 (full
vocabulary, hidden size, experts, attention), plus SmolLM2-135M (``smol``, random weights of the
exact shape: throughput does not depend on the values). One packed row of ``--seq`` tokens (several
documents, position ids reset per document) per step.

Measured, in the same process on the same GPU:
- ``bf16 matmul``: an 8192^3 bf16 GEMM rate, the MFU denominator;
- ``hf baseline``: plain transformers forward + backward of the slice (``labels=`` loss, bf16
  weights), no optimizer, with the classic per-expert loop (``experts_implementation="eager"``) and
  with transformers 5's grouped-mm experts;
- ``xlam step``: the training step of ``xlam.training`` (TorchEngine: bf16 weights with fp32 master
  copies in the optimizer, grouped-mm experts, packed documents, router aux loss + stats, grad clip, fused AdamW,
  cosine LR), per optimizer step of 1 or ``--grad-accum`` micro-batches, with and without activation
  checkpointing (tokens/s counts every micro-batch).

MFU = model FLOPs (6 x active parameters per token + causal attention) / step time / GEMM rate.
Runs without DeepSpeed or Ray (GPU boxes have neither): one GPU, the torchrun-free path.

    python benchmarks/train_throughput.py --seq 4096 --steps 6 --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlam.training.recipes import get_recipe


def matmul_rate(n: int = 8192, iters: int = 30) -> float:
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
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


def packed_batch(seq: int, vocab: int, doc_len: int, device: str) -> dict[str, torch.Tensor]:
    ids = torch.randint(0, vocab, (1, seq), device=device)
    pos = torch.arange(seq, device=device) % doc_len
    targets = torch.roll(ids, -1, dims=1)
    targets[0, (pos == doc_len - 1)] = -100
    targets[0, -1] = -100
    return {"input_ids": ids, "position_ids": pos.unsqueeze(0), "targets": targets,
            "token_mask": torch.ones_like(ids, dtype=torch.bool)}


def time_steps(fn: Any, steps: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def build(recipe_name: str, layers: int | None, dtype: torch.dtype, experts: str | None) -> Any:
    from transformers import AutoModelForCausalLM

    recipe = get_recipe(recipe_name)
    overrides: dict[str, Any] = {"num_hidden_layers": layers} if layers else {}
    config = recipe.config(**overrides)
    kwargs: dict[str, Any] = {"attn_implementation": "sdpa"}
    if recipe.is_moe and experts:
        kwargs["experts_implementation"] = experts
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, **kwargs)
    model.config.use_cache = False
    return model


def hf_baseline(recipe_name: str, layers: int | None, seq: int, doc_len: int, steps: int,
                experts: str = "eager") -> float:
    model = build(recipe_name, layers, torch.bfloat16, experts).train()
    batch = packed_batch(seq, model.config.vocab_size, doc_len, "cuda")

    def step() -> None:
        out = model(input_ids=batch["input_ids"], labels=batch["input_ids"], use_cache=False)
        out.loss.backward()
        model.zero_grad(set_to_none=True)

    return time_steps(step, steps)


def xlam_step(recipe_name: str, layers: int | None, seq: int, doc_len: int, steps: int, checkpointing: bool,
              experts: str = "grouped_mm", grad_accum: int = 1) -> tuple[float, float]:
    """Seconds per optimizer step of ``grad_accum`` micro-batches, and peak GiB."""
    from xlam.training.config import TrainConfig
    from xlam.training.engine import TorchEngine
    from xlam.training.losses import router_stats, sft_loss_sum

    config = TrainConfig.model_validate({
        "model": {"recipe": recipe_name}, "data": {"datasets": ["unused"]},
        "distributed": {"launcher": "local", "num_workers": 1, "use_gpu": True, "engine": "torch"},
        "optim": {"lr": 1e-5, "warmup_steps": 2, "max_steps": 100},
    })
    model = build(recipe_name, layers, torch.float32, experts)
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    engine = TorchEngine(model, config, torch.device("cuda"), bf16=True)
    moe = hasattr(model.config, "num_local_experts")
    batch = packed_batch(seq, model.config.vocab_size, doc_len, "cuda")

    def micro() -> None:
        out = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                    output_router_logits=moe or None, use_cache=False)
        loss, n = sft_loss_sum(out.logits, batch["targets"])
        loss = loss / (n * grad_accum)
        if moe:
            stats = router_stats(out.router_logits, model.config.num_local_experts,
                                 model.config.num_experts_per_tok, batch["token_mask"])
            loss = loss + model.config.router_aux_loss_coef * stats["aux_loss"] / grad_accum
        engine.backward(loss)

    def step() -> None:
        for _ in range(grad_accum):
            micro()
        engine.step()

    torch.cuda.reset_peak_memory_stats()
    seconds = time_steps(step, steps)
    return seconds, torch.cuda.max_memory_allocated() / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seq", type=int, default=4096)
    parser.add_argument("--doc-len", type=int, default=1024, help="packed document length")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--grad-accum", type=int, default=4, help="micro-batches per optimizer step")
    parser.add_argument("--json", type=str, default=None)
    parser.add_argument("--only", type=str, default=None, help="comma-separated slice names")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    rate = matmul_rate()
    gpu = torch.cuda.get_device_name()
    print(f"# {gpu}: bf16 GEMM 8192^3 = {rate / 1e12:.0f} TFLOP/s", flush=True)
    slices = [("mixtral-8x7b-2L", "xlam-8x7b", 2), ("mixtral-8x22b-1L", "xlam-8x22b", 1), ("smol", "smol", None)]
    if args.only:
        slices = [s for s in slices if s[0] in args.only.split(",")]
    rows = []
    for label, recipe, layers in slices:
        config = get_recipe(recipe).config(**({"num_hidden_layers": layers} if layers else {}))
        fpt = flops_per_token(config, args.seq, args.doc_len)
        row: dict[str, Any] = {"slice": label, "seq": args.seq, "gpu": gpu, "gemm_tflops": rate / 1e12}
        moe = get_recipe(recipe).is_moe
        baselines = [("hf", "eager"), ("hf_grouped", "grouped_mm")] if moe else [("hf", None)]
        for key, experts in baselines:
            try:
                t = hf_baseline(recipe, layers, args.seq, args.doc_len, args.steps, experts or "eager")
                torch.cuda.empty_cache()
                row.update({f"{key}_s": t, f"{key}_tokens_per_s": args.seq / t, f"{key}_mfu": fpt * args.seq / t / rate})
            except torch.OutOfMemoryError as exc:
                row[f"{key}_error"] = f"OOM: {str(exc)[:80]}"
                torch.cuda.empty_cache()
        variants = [("xlam", False, 1), ("xlam_ga", False, args.grad_accum), ("xlam_ckpt_ga", True, args.grad_accum)]
        for key, ckpt, ga in variants:
            try:
                t, peak = xlam_step(recipe, layers, args.seq, args.doc_len, args.steps, ckpt, grad_accum=ga)
                torch.cuda.empty_cache()
                tokens = args.seq * ga
                row.update({f"{key}_step_s": t, f"{key}_tokens_per_s": tokens / t,
                            f"{key}_mfu": fpt * tokens / t / rate, f"{key}_peak_gib": peak})
            except torch.OutOfMemoryError as exc:
                row[f"{key}_error"] = f"OOM: {str(exc)[:80]}"
                torch.cuda.empty_cache()
        rows.append(row)
        print(json.dumps(row), flush=True)
    ga = args.grad_accum
    print(f"\n| slice | HF fwd+bwd, eager experts | HF fwd+bwd, grouped_mm | xlam step GA=1 | xlam step GA={ga} "
          f"| xlam step GA={ga} + act. ckpt |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        def cell(k: str, r: dict[str, Any] = r) -> str:
            if f"{k}_tokens_per_s" not in r:
                return r.get(f"{k}_error", "-")
            peak = f", {r[k + '_peak_gib']:.1f}" if f"{k}_peak_gib" in r else ""
            return f"{r[k + '_tokens_per_s']:.0f} ({100 * r[k + '_mfu']:.1f}%{peak})"
        print(f"| {r['slice']} | {cell('hf')} | {cell('hf_grouped')} | {cell('xlam')} | {cell('xlam_ga')} "
              f"| {cell('xlam_ckpt_ga')} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
