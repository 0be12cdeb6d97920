"""Exactness checks and profiles of ``benchmarks/train_throughput.py``: the fast step against the reference
step (losses and gradient norms over 20 steps), bf16 gradients against an fp32 reference per fast path, and
torch.profiler summaries of one optimizer step."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from throughput_common import (
    FAST,
    build,
    build_runner,
    fast_config,
    free_memory,
    packed_batch,
    sync,
    xlam_step,
)


def exactness_check(device: torch.device, steps: int = 20, recipe_name: str = "tiny-moe",
                    only: str | None = None) -> dict[str, Any]:
    """The GPU check: the reference step and the fast step from the same weights on the same batches
    for ``steps`` optimizer steps; max relative difference of loss and grad norm per step. ``only``:
    switch on that one ``perf`` field (the rest off) instead of all of them."""
    curves: dict[bool, list[tuple[float, float]]] = {}
    seq, doc_len, ga, rows = 1024, 256, 2, 2
    for fast in (False, True):
        config = fast_config(recipe_name, grad_accum=ga, rows=rows, seq=seq, compile_layers=False,
                             fast=fast and only is None, cuda=device.type == "cuda")
        if fast and only is not None:
            config = config.model_copy(update={"perf": config.perf.model_copy(update={only: True})})
        config = config.model_copy(update={"optim": config.optim.model_copy(update={"lr": 2e-3, "warmup_steps": 3})})
        runner = build_runner(recipe_name, None, config, device)
        torch.manual_seed(7)
        data = [[packed_batch(seq, 1000, doc_len, "cpu", rows) for _ in range(ga)] for _ in range(steps)]
        curve = []
        for batches in data:
            units = float(sum(int((b["targets"] != -100).sum()) for b in batches))
            sums, norm, _ = runner.run(batches, units)
            curve.append((float(sums[0]) / units, float(norm)))
        curves[fast] = curve
        del runner
        free_memory(device)
    loss_rel = max(abs(a[0] - b[0]) / abs(a[0]) for a, b in zip(curves[False], curves[True], strict=True))
    norm_rel = max(abs(a[1] - b[1]) / abs(a[1]) for a, b in zip(curves[False], curves[True], strict=True))
    return {"steps": steps, "recipe": recipe_name, "only": only, "loss_max_rel_diff": loss_rel,
            "grad_norm_max_rel_diff": norm_rel,
            "reference": curves[False], "fast": curves[True]}


def grad_error_check(device: torch.device, recipe_name: str = "tiny-moe") -> list[dict[str, Any]]:
    """Gradients of one optimizer step (2 micro-batches x 2 packed rows, before the update) in bf16 with
    the reference path, each fast path alone and all of them, against the fp32 reference path:
    relative L2 error of the whole gradient and relative error of its norm (runs on a CPU too)."""
    from xlam.training.engine import TorchEngine
    from xlam.training.kernels import router_stats
    from xlam.training.loop import StepRunner, prepare_model
    from xlam.training.losses import sft_loss

    torch.manual_seed(7)
    batches = [packed_batch(1024, 1000, 256, "cpu", 2) for _ in range(2)]
    units = float(sum(int((b["targets"] != -100).sum()) for b in batches))

    def grads(only: str | None, bf16: bool) -> dict[str, torch.Tensor]:
        cfg = fast_config(recipe_name, grad_accum=2, rows=2, seq=1024, compile_layers=False, fast=only == "all",
                          cuda=device.type == "cuda")
        if only not in (None, "all"):
            cfg = cfg.model_copy(update={"perf": cfg.perf.model_copy(update={only: True})})
        model = build(recipe_name, None, torch.float32, "grouped_mm", device)
        fast = prepare_model(model, cfg)
        model.train()
        engine = TorchEngine(model, cfg, device, bf16=bf16)
        mc = model.config
        runner = StepRunner(engine, cfg, mc, device, 1, head=fast["head"], varlen=fast["varlen"], moe=True,
                            aux_coef=mc.router_aux_loss_coef, num_experts=mc.num_local_experts)
        for cpu_batch in batches:
            batch = runner.to_device(cpu_batch)
            if runner.head is not None:
                runner.head.xlam_targets = batch["targets"]
            out = runner.forward(batch)
            if runner.head is not None:
                runner.head.xlam_targets = None
            loss = out.logits if runner.head is not None else sft_loss(out.logits, batch["targets"])
            stats = router_stats(out.router_logits, mc.num_local_experts, mc.num_experts_per_tok, batch["token_mask"])
            engine.backward(loss / units + mc.router_aux_loss_coef * stats["aux_loss"] / len(batches))
        return {n: p.grad.detach().float().cpu() for n, p in model.named_parameters() if p.grad is not None}

    truth = grads(None, False)
    den = sum(float(g.square().sum()) for g in truth.values())
    out = []
    for only in (None, "fused_cross_entropy", "varlen_attention", "all"):
        g = grads(only, True)
        err = sum(float((g[n] - truth[n]).square().sum()) for n in truth)
        norm = sum(float(g[n].square().sum()) for n in truth)
        row = {"bf16_paths": only or "reference", "grad_rel_error": (err / den) ** 0.5,
               "grad_norm_rel": (norm / den) ** 0.5 - 1}
        print(f"# bf16 gradient vs fp32 reference, {row['bf16_paths']}: rel error {row['grad_rel_error']:.3e}, "
              f"norm {row['grad_norm_rel']:+.3e}", flush=True)
        out.append(row)
    return out


def profile_step(fn: Any, device: torch.device, path: Path, rows: int = 25) -> dict[str, Any]:
    """torch.profiler over one call of ``fn`` (after warm-up): the top kernels by device time to
    ``path`` and a summary by category."""
    from torch.profiler import ProfilerActivity, profile

    fn()
    fn()
    sync(device)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        t = time.perf_counter()
        fn()
        sync(device)
        wall = time.perf_counter() - t
    events = prof.key_averages()
    path.write_text(events.table(sort_by="self_cuda_time_total", row_limit=rows, max_name_column_width=70))
    cats = {"gemm": 0.0, "grouped_gemm": 0.0, "attention": 0.0, "optimizer": 0.0, "cross_entropy": 0.0,
            "memcpy/memset": 0.0, "elementwise/reduce": 0.0, "other": 0.0}
    total = 0.0
    for e in events:
        us = getattr(e, "self_device_time_total", None)
        if us is None:
            us = getattr(e, "self_cuda_time_total", 0.0)
        # kernels only: aten ops (CPU events) carry their kernels' time too, annotations span them
        if not us or e.device_type.name != "CUDA" or "#" in e.key or e.key.startswith("ProfilerStep") \
                or getattr(e, "is_user_annotation", False):
            continue
        name = e.key.lower()
        total += us
        if "group" in name:
            cats["grouped_gemm"] += us
        elif "flash" in name or "fmha" in name or "attention" in name:
            cats["attention"] += us
        elif "gemm" in name or "sm90" in name or "cutlass" in name or "nvjet" in name or "matmul" in name:
            cats["gemm"] += us
        elif "adam" in name or "multi_tensor" in name:
            cats["optimizer"] += us
        elif "softmax" in name or "nll" in name or "logsumexp" in name or "cross_entropy" in name:
            cats["cross_entropy"] += us
        elif "memcpy" in name or "memset" in name:
            cats["memcpy/memset"] += us
        elif "elementwise" in name or "reduce" in name or "copy" in name or "index" in name or "scatter" in name:
            cats["elementwise/reduce"] += us
        else:
            cats["other"] += us
    return {"wall_ms": wall * 1e3, "kernel_ms": total / 1e3, "gpu_busy": total / 1e3 / (wall * 1e3),
            **{f"{k}_ms": v / 1e3 for k, v in cats.items()}}


def profile_variant(key: str, recipe: str, layers: int | None, args: argparse.Namespace, device: torch.device,
                    path: Path) -> dict[str, Any]:
    """torch.profiler summary of one optimizer step (GA = --grad-accum) of the earlier or the fast step."""
    ga = args.grad_accum
    if key in FAST:
        ga_f, rows, comp = FAST[key]
        ga, rows = ga_f or ga, rows or args.rows
        config = fast_config(recipe, grad_accum=ga, rows=rows, seq=args.seq, compile_layers=comp)
        runner = build_runner(recipe, layers, config, device)
        torch.manual_seed(1)
        batches = [packed_batch(args.seq, runner.model_config.vocab_size, args.doc_len, "cpu", rows)
                   for _ in range(ga)]
        units = float(sum(int((b["targets"] != -100).sum()) for b in batches))
        return profile_step(lambda: runner.run(batches, units), device, path)
    fn = xlam_step(recipe, layers, args.seq, args.doc_len, 0, False, grad_accum=ga, device=device, return_fn=True)
    return profile_step(fn, device, path)
