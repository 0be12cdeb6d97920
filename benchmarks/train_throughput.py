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
Runs without Ray (GPU boxes have none); DeepSpeed only for the ``zero3_ga`` multi-GPU variant.

Several GPUs (``--gpus 1,2``): after the one-GPU measurements this process starts
``torchrun --standalone --nproc-per-node N`` on itself (one process per GPU, NCCL) and measures the
same step data-parallel, each rank with its own packed rows (weak scaling: ``grad_accum`` rows of
``--seq`` tokens per GPU per optimizer step):
- ``ddp_ga``: TorchEngine under DDP, one all-reduce per optimizer step (``no_sync`` for the other
  micro-batches); ``ddp_ga_sync``: the same with an all-reduce after every micro-batch;
- ``zero3_ga``: DeepSpeed ZeRO-3 (MoE block as a ZeRO-3 leaf module), when ``deepspeed`` imports.
Reported: aggregate tokens/s, tokens/s per GPU, scaling efficiency = per-GPU tokens/s over the
one-GPU ``xlam_ga`` tokens/s of the same call, MFU against the sum of the ranks' GEMM rates
(measured by every rank in the torchrun group), peak GiB (max over ranks).

    python benchmarks/train_throughput.py --seq 4096 --steps 6 --json out.json
    python benchmarks/train_throughput.py --gpus 1,2 --only mixtral-8x7b-2L,mixtral-8x22b-1L --variants hf,xlam_ga
    # CPU smoke test of the torchrun path (gloo, tiny model):
    python benchmarks/train_throughput.py --device cpu --gpus 1,2 --only tiny-moe --seq 256 --doc-len 64 --steps 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from throughput_checks import exactness_check, grad_error_check, profile_variant
from throughput_common import (
    FAST,
    fast_step,
    flops_per_token,
    free_memory,
    hf_baseline,
    matmul_rate,
    planner_gib,
    xlam_step,
)

from xlam.training.recipes import get_recipe

SLICES = {  # label -> (recipe, decoder layers or None for all)
    "mixtral-8x7b-2L": ("xlam-8x7b", 2),
    "mixtral-8x22b-1L": ("xlam-8x22b", 1),
    "smol": ("smol", None),
    "tiny-moe": ("tiny-moe", None),  # CPU smoke tests of this script
}
DEFAULT_SLICES = ["mixtral-8x7b-2L", "mixtral-8x22b-1L", "smol"]
SINGLE_VARIANTS = ["hf", "hf_grouped", "xlam", "xlam_ga", "xlam_ckpt_ga", "fast", "fast_ga", "fast_ga16",
                   "fast_compile_ga", "fast_compile_ga16", "fast_compile_mb4", "fast_mb", "fast_mb_compile"]
# fast_* = the step of xlam.training.loop.StepRunner with every perf fast path (varlen flash attention,
# fused linear cross-entropy, device-side router stats, flat fused AdamW, no host syncs); xlam_* = the
# earlier step (block-mask SDPA, full fp32 logits, per-parameter fp32 masters + torch AdamW, host syncs).
DIST_VARIANTS = ["ddp_ga", "ddp_ga_sync", "zero3_ga", "ddp_fast", "ep_fast"]
# ddp_fast: the fast step (StepRunner, perf defaults, --dist-rows rows per micro-batch, compiled with
# --dist-compile) under DDP; ep_fast: the same with expert parallelism over all ranks (MoE slices only).


def single_gpu(args: argparse.Namespace, device: torch.device) -> tuple[list[dict[str, Any]], float]:
    """The one-GPU measurements of every slice (HF baselines and xlam steps)."""
    rate = matmul_rate(device)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"# {gpu}: bf16 GEMM 8192^3 = {rate / 1e12:.0f} TFLOP/s", flush=True)
    rows = []
    for label in args.only:
        recipe, layers = SLICES[label]
        fpt = flops_per_token(get_recipe(recipe).config(**({"num_hidden_layers": layers} if layers else {})),
                              args.seq, args.doc_len)
        row: dict[str, Any] = {"slice": label, "seq": args.seq, "gpu": gpu, "gemm_tflops": rate / 1e12}
        moe = get_recipe(recipe).is_moe
        baselines = [("hf", "eager"), ("hf_grouped", "grouped_mm")] if moe else [("hf", None)]
        for key, experts in baselines:
            if key not in args.variants:
                continue
            try:
                t = hf_baseline(recipe, layers, args.seq, args.doc_len, args.steps, experts or "eager", device)
                row.update({f"{key}_s": t, f"{key}_tokens_per_s": args.seq / t, f"{key}_mfu": fpt * args.seq / t / rate})
            except torch.OutOfMemoryError as exc:
                row[f"{key}_error"] = f"OOM: {str(exc)[:80]}"
            free_memory(device)
        variants = [("xlam", False, 1), ("xlam_ga", False, args.grad_accum), ("xlam_ckpt_ga", True, args.grad_accum)]
        for key, ckpt, ga in variants:
            if key not in args.variants:
                continue
            try:
                t, peak = xlam_step(recipe, layers, args.seq, args.doc_len, args.steps, ckpt, grad_accum=ga,
                                    device=device)
                tokens = args.seq * ga
                row.update({f"{key}_step_s": t, f"{key}_tokens_per_s": tokens / t,
                            f"{key}_mfu": fpt * tokens / t / rate, f"{key}_peak_gib": peak})
                if not ckpt:
                    row[f"{key}_planner_gib"] = planner_gib(recipe, layers, args.seq, 1, fused=False)
            except torch.OutOfMemoryError as exc:
                row[f"{key}_error"] = f"OOM: {str(exc)[:80]}"
            free_memory(device)
        for key, (ga, mb, comp) in FAST.items():
            if key not in args.variants or (key.startswith("fast_mb") and label not in args.mb_slices):
                continue
            if comp and args.compile_slices and label not in args.compile_slices:
                continue
            ga = ga or args.grad_accum
            mb = mb or args.rows
            try:
                started = time.perf_counter()
                t, peak, planned = fast_step(recipe, layers, args.seq, args.doc_len, args.steps, grad_accum=ga,
                                             rows=mb, compile_layers=comp, device=device)
                tokens = args.seq * ga * mb
                row.update({f"{key}_step_s": t, f"{key}_tokens_per_s": tokens / t, f"{key}_mfu": fpt * tokens / t / rate,
                            f"{key}_peak_gib": peak, f"{key}_planner_gib": planned, f"{key}_ga": ga, f"{key}_rows": mb,
                            f"{key}_wall_s": time.perf_counter() - started})
            except Exception as exc:  # OOM or a failing fast path: keep the other variants
                traceback.print_exc()
                row[f"{key}_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            torch._dynamo.reset() if comp else None
            free_memory(device)
        if label in args.profile and args.out_dir:
            for key in args.profile_variants:
                try:
                    row[f"profile_{key}"] = profile_variant(key, recipe, layers, args, device,
                                                            Path(args.out_dir) / f"profile_{label}_{key}.txt")
                except Exception as exc:
                    traceback.print_exc()
                    row[f"profile_{key}"] = f"{type(exc).__name__}: {str(exc)[:200]}"
                free_memory(device)
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.json:  # what a killed run finished stays
            Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows, rate


def dist_worker(args: argparse.Namespace) -> None:
    """One torchrun rank: the data-parallel variants of every slice; rank 0 writes ``--worker-json``
    after each measurement (a killed run still leaves what it finished)."""
    local = int(os.environ["LOCAL_RANK"])
    cuda = args.device == "cuda"
    device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo", timeout=timedelta(seconds=args.dist_timeout))
    rank, world = dist.get_rank(), dist.get_world_size()
    rate = matmul_rate(device)
    rates = [None] * world
    dist.all_gather_object(rates, rate)
    out: dict[str, Any] = {"world_size": world, "gemm_tflops_per_rank": [r / 1e12 for r in rates], "rows": {}}
    total_rate = sum(rates)
    if rank == 0:
        print(f"# {world} ranks: bf16 GEMM TFLOP/s per rank {[round(r / 1e12) for r in rates]}", flush=True)
    ds_error: str | None = None
    if "zero3_ga" in args.dist_variants:  # a missing DeepSpeed skips zero3_ga, nothing else
        try:
            import deepspeed  # noqa: F401
        except ImportError as exc:
            ds_error = f"deepspeed not importable: {exc}"
    for key in args.dist_variants:
        for label in args.only:
            recipe, layers = SLICES[label]
            row = out["rows"].setdefault(label, {})
            if key == "zero3_ga" and args.zero3_only and label not in args.zero3_only:
                continue
            if key == "zero3_ga" and ds_error:
                row[f"{key}_error"] = ds_error
                continue
            fpt = flops_per_token(get_recipe(recipe).config(**({"num_hidden_layers": layers} if layers else {})),
                                  args.seq, args.doc_len)
            started = time.perf_counter()
            if key == "ep_fast" and not get_recipe(recipe).is_moe:
                continue
            try:
                rows_per_micro = 1
                if key in ("ddp_fast", "ep_fast"):
                    rows_per_micro = args.dist_rows
                    t, peak, _ = fast_step(recipe, layers, args.seq, args.doc_len, args.steps,
                                           grad_accum=args.grad_accum, rows=rows_per_micro,
                                           compile_layers=args.dist_compile, device=device,
                                           expert_parallel=world if key == "ep_fast" else 1)
                else:
                    t, peak = xlam_step(
                        recipe, layers, args.seq, args.doc_len, args.steps, False, grad_accum=args.grad_accum,
                        device=device, engine_name="deepspeed" if key == "zero3_ga" else "torch",
                        zero_stage=3 if key == "zero3_ga" else 0, sync_every_micro=key == "ddp_ga_sync")
                tokens = args.seq * args.grad_accum * world * rows_per_micro
                row.update({f"{key}_step_s": t, f"{key}_tokens_per_s": tokens / t,
                            f"{key}_tokens_per_s_per_gpu": tokens / t / world,
                            f"{key}_mfu": fpt * tokens / t / total_rate, f"{key}_peak_gib": peak})
            except torch.OutOfMemoryError as exc:  # both ranks hold the same shapes: both get here
                row[f"{key}_error"] = f"OOM: {str(exc)[:80]}"
            except Exception as exc:  # e.g. DeepSpeed failing on this stack: keep what the others measured
                traceback.print_exc()
                row[f"{key}_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            free_memory(device)
            if rank == 0:
                print(f"# {world} GPUs {key} {label} ({time.perf_counter() - started:.0f} s): {json.dumps(row)}",
                      flush=True)
                Path(args.worker_json).write_text(json.dumps(out))
    dist.destroy_process_group()


def run_torchrun(args: argparse.Namespace, n: int) -> dict[str, Any] | None:
    """Start this script under ``torchrun --nproc-per-node n``; what rank 0 wrote (None: nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "dist.json"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={n}",
               str(Path(__file__).resolve()), "--worker-json", str(result), "--device", args.device,
               "--seq", str(args.seq), "--doc-len", str(args.doc_len), "--steps", str(args.steps),
               "--grad-accum", str(args.grad_accum), "--only", ",".join(args.only),
               "--dist-variants", ",".join(args.dist_variants), "--zero3-only", ",".join(args.zero3_only),
               "--dist-timeout", str(args.dist_timeout), "--dist-rows", str(args.dist_rows)]
        cmd += ["--dist-compile"] if args.dist_compile else []
        # NVLink multicast stays off on shared hosts (the device machines' rule), also in children.
        env = {**os.environ, "NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1",
               "NVSHMEM_DISABLE_NVLS": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, check=False, timeout=args.torchrun_timeout)
            rc: int | str = proc.returncode
        except subprocess.TimeoutExpired:
            rc = f"killed after {args.torchrun_timeout} s"
        print(f"# torchrun --nproc-per-node {n}: exit {rc} after {time.perf_counter() - started:.0f} s", flush=True)
        if not result.is_file():
            return None
        data: dict[str, Any] = json.loads(result.read_text())
        data["exit"] = rc
        return data


def merge(rows: list[dict[str, Any]], n: int, data: dict[str, Any], fast_base: str = "fast_ga") -> None:
    """Add the n-GPU results to the one-GPU rows, with scaling efficiency against the one-GPU step of
    the same kind: ``xlam_ga`` for the previous step's variants, ``fast_base`` for ddp_fast/ep_fast."""
    for row in rows:
        for key, value in data["rows"].get(row["slice"], {}).items():
            row[f"gpus{n}_{key}"] = value
        for variant in DIST_VARIANTS:
            base = row.get(f"{fast_base if variant.endswith('_fast') else 'xlam_ga'}_tokens_per_s")
            per_gpu = row.get(f"gpus{n}_{variant}_tokens_per_s_per_gpu")
            if base and per_gpu:
                row[f"gpus{n}_{variant}_scaling_efficiency"] = per_gpu / base
        row[f"gpus{n}_gemm_tflops_per_rank"] = data["gemm_tflops_per_rank"]
        row[f"gpus{n}_exit"] = data.get("exit")


def print_tables(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    ga = args.grad_accum

    def cell(r: dict[str, Any], k: str) -> str:
        if f"{k}_tokens_per_s" not in r:
            return str(r.get(f"{k}_error", "-"))
        peak = f", {r[k + '_peak_gib']:.1f} GiB" if f"{k}_peak_gib" in r else ""
        return f"{r[k + '_tokens_per_s']:.0f} ({100 * r[k + '_mfu']:.1f}%{peak})"

    print(f"\n| slice | HF fwd+bwd, eager experts | HF fwd+bwd, grouped_mm | xlam step GA=1 | xlam step GA={ga} "
          f"| xlam step GA={ga} + act. ckpt |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['slice']} | {cell(r, 'hf')} | {cell(r, 'hf_grouped')} | {cell(r, 'xlam')} | {cell(r, 'xlam_ga')} "
              f"| {cell(r, 'xlam_ckpt_ga')} |")
    print("\nfast step (tok/s (MFU, peak GiB) [planner GiB]):")
    print("| slice | " + " | ".join(FAST) + " |")
    print("|---|" + "---|" * len(FAST))
    for r in rows:
        cells = [cell(r, k) + (f" [{r[k + '_planner_gib']:.1f}]" if f"{k}_planner_gib" in r else "") for k in FAST]
        print(f"| {r['slice']} | " + " | ".join(cells) + " |")
    for n in args.gpus:
        if n == 1:
            continue
        print(f"\n{n} GPUs, GA={ga} per GPU: aggregate tok/s (MFU, peak) | tok/s per GPU | scaling vs 1-GPU xlam GA={ga}")
        print("| slice | variant | aggregate | per GPU | scaling efficiency |")
        print("|---|---|---|---|---|")
        for r in rows:
            for v in args.dist_variants:
                k = f"gpus{n}_{v}"
                per = r.get(f"{k}_tokens_per_s_per_gpu")
                eff = r.get(f"{k}_scaling_efficiency")
                print(f"| {r['slice']} | {v} | {cell(r, k)} | {f'{per:.0f}' if per else '-'} "
                      f"| {f'{100 * eff:.1f}%' if eff else '-'} |")


def _names(text: str, allowed: list[str]) -> list[str]:
    names = [x for x in text.split(",") if x]
    unknown = [x for x in names if x not in allowed]
    if unknown:
        raise SystemExit(f"unknown names {unknown}; choose from {allowed}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seq", type=int, default=4096)
    parser.add_argument("--doc-len", type=int, default=1024, help="packed document length")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--grad-accum", type=int, default=4, help="micro-batches per optimizer step")
    parser.add_argument("--json", type=str, default=None)
    parser.add_argument("--only", type=str, default=",".join(DEFAULT_SLICES), help="comma-separated slice names")
    parser.add_argument("--variants", type=str, default=",".join(SINGLE_VARIANTS), help="one-GPU measurements")
    parser.add_argument("--gpus", type=str, default="1", help="GPU counts, e.g. 1,2 (1 always runs: the baseline)")
    parser.add_argument("--dist-variants", type=str, default="ddp_ga,ddp_ga_sync,zero3_ga")
    parser.add_argument("--zero3-only", type=str, default="", help="slices for zero3_ga (empty: all)")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda", help="cpu: smoke test (gloo)")
    parser.add_argument("--torchrun-timeout", type=int, default=420, help="seconds per torchrun")
    parser.add_argument("--dist-timeout", type=int, default=180, help="process-group collective timeout, s")
    parser.add_argument("--dist-rows", type=int, default=1, help="rows per micro-batch of ddp_fast/ep_fast")
    parser.add_argument("--dist-compile", action="store_true", help="compile layers in ddp_fast/ep_fast")
    parser.add_argument("--rows", type=int, default=8, help="packed rows per micro-batch of the fast_mb variants")
    parser.add_argument("--mb-slices", type=str, default="smol", help="slices that run the fast_mb variants")
    parser.add_argument("--compile-slices", type=str, default="", help="slices that run compile variants (empty: all)")
    parser.add_argument("--profile", type=str, default="", help="slices to profile (xlam_ga vs fast_ga)")
    parser.add_argument("--profile-variants", type=str, default="xlam_ga,fast_ga", help="variants to profile")
    parser.add_argument("--out-dir", type=str, default=None, help="directory for profiler tables")
    parser.add_argument("--grad-error", action="store_true",
                        help="bf16 gradients of each path vs the fp32 reference (one step, tiny-moe), then exit")
    parser.add_argument("--check-paths", action="store_true", help="exactness of each fast path alone, then exit")
    parser.add_argument("--check", action="store_true", help="GPU exactness check: reference vs fast step, 20 steps")
    parser.add_argument("--worker-json", type=str, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.only = _names(args.only, list(SLICES))
    args.variants = _names(args.variants, SINGLE_VARIANTS)
    args.dist_variants = _names(args.dist_variants, DIST_VARIANTS)
    args.zero3_only = _names(args.zero3_only, list(SLICES))
    args.mb_slices = _names(args.mb_slices, list(SLICES))
    args.profile = _names(args.profile, list(SLICES))
    args.compile_slices = _names(args.compile_slices, list(SLICES))
    args.profile_variants = _names(args.profile_variants, SINGLE_VARIANTS)
    args.gpus = sorted({1, *(int(x) for x in args.gpus.split(",") if x)})
    torch.backends.cuda.matmul.allow_tf32 = True
    if args.worker_json:  # a torchrun rank
        dist_worker(args)
        return
    device = torch.device(args.device)
    if args.grad_error:
        grad_error_check(device)
        return
    if args.check_paths:  # one fast path at a time against the reference
        for only in ("varlen_attention", "fused_cross_entropy", "fused_optimizer", None):
            c = exactness_check(device, only=only)
            step0 = (c["fast"][0][1] - c["reference"][0][1]) / c["reference"][0][1]
            print(f"# exactness only={only}: loss max rel {c['loss_max_rel_diff']:.2e}, grad norm max rel "
                  f"{c['grad_norm_max_rel_diff']:.2e}, step-1 grad norm rel {step0:+.2e}", flush=True)
            if args.out_dir:
                (Path(args.out_dir) / f"exactness_{only or 'all'}.json").write_text(json.dumps(c, indent=1))
        for recipe in ("smol",):
            c = exactness_check(device, recipe_name=recipe)
            print(f"# exactness {recipe} all: loss max rel {c['loss_max_rel_diff']:.2e}, grad norm max rel "
                  f"{c['grad_norm_max_rel_diff']:.2e}", flush=True)
        return
    check = exactness_check(device) if args.check else None
    if check is not None:
        print(f"# exactness (reference vs fast step, {check['steps']} steps, {check['recipe']}): loss max rel diff "
              f"{check['loss_max_rel_diff']:.2e}, grad norm max rel diff {check['grad_norm_max_rel_diff']:.2e}",
              flush=True)
        if args.out_dir:
            (Path(args.out_dir) / "exactness.json").write_text(json.dumps(check, indent=1))
    rows, _ = single_gpu(args, device)
    free_memory(device)
    for n in args.gpus:
        if n == 1:
            continue
        data = run_torchrun(args, n)
        if data is None:
            for row in rows:
                row[f"gpus{n}_error"] = "torchrun wrote no results"
        else:
            fast_base = ("fast_compile_mb4" if args.dist_rows == 4 else "fast_compile_ga") if args.dist_compile \
                else "fast_ga"
            merge(rows, n, data, fast_base if args.dist_rows in (1, 4) else "fast_ga")
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=2))
    print_tables(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
