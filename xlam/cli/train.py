"""``xlam train``: run (SFT/DPO), plan GPU memory, export checkpoints, list recipes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from xlam.cli.errors import fail, read_config_file
from xlam.cli.groups import train_app


def register(app: typer.Typer) -> None:
    """Commands are attached to ``train_app`` at import time."""


def _parse_set(values: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in values:
        if "=" not in item:
            raise typer.BadParameter(f"--set expects key=value, got {item!r}")
        key, raw = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(raw)
    return out


def _check_datasets_exist(config_path: Path, cfg: Any) -> None:
    """Every local dataset the config names exists (a manifest), or exit 2 naming the field."""
    from xlam.datasets import dataset_exists

    named = [(f"data.datasets[{i}]", str(u)) for i, u in enumerate(cfg.data.datasets)]
    for i, src in enumerate((cfg.data.mixture or {}).get("sources") or []):
        if isinstance(src, dict) and src.get("uri"):
            named.append((f"data.mixture.sources[{i}].uri", str(src["uri"])))
    for field, uri in named:
        if "://" in uri and not uri.startswith("file://"):
            continue  # remote: the reader reports it
        try:
            found = dataset_exists(uri)
        except OSError:
            found = False
        if not found:
            fail(f"{config_path}, field {field}: no dataset at {uri} (no manifest.json)")


@train_app.command("run")
def run_cmd(
    config: Path = typer.Option(..., "--config", "-c", exists=True, dir_okay=False, help="train.yaml"),
    set_: list[str] = typer.Option([], "--set", help="Override a field: --set optim.lr=1e-5 (repeatable)."),
    launcher: str | None = typer.Option(None, "--launcher", help="ray (default) | torchrun | local"),
    num_workers: int | None = typer.Option(None, "--num-workers"),
) -> None:
    """Train as configured (Ray Train on a local Ray by default); prints the TrainResult as JSON."""
    from xlam.training.config import TrainConfigError, load_train_config

    overrides = _parse_set(set_)
    if launcher:
        overrides["distributed.launcher"] = launcher
    if num_workers:
        overrides["distributed.num_workers"] = num_workers
    read_config_file(config, what="training config", allow_empty=False)  # names the file and line
    try:
        cfg = load_train_config(config, overrides)
    except TrainConfigError as exc:
        typer.echo(f"error: invalid training config {config}: {exc}", err=True)
        raise typer.Exit(2) from None
    _check_datasets_exist(config, cfg)  # before anything starts or is written
    from xlam.training.launch import run_training

    result = run_training(cfg)
    summary = result.model_dump(exclude={"metrics", "model_card"})
    summary["last_metrics"] = result.metrics[-1] if result.metrics else None
    typer.echo(json.dumps(summary, indent=2, default=str))


@train_app.command("plan")
def plan_cmd(
    recipe: str = typer.Option(..., "--recipe"),
    gpu: str = typer.Option("h100-80gb", "--gpu"),
    gpus_per_node: int = typer.Option(8, "--gpus-per-node"),
    nodes: int | None = typer.Option(None, "--nodes"),
    method: str | None = typer.Option(None, "--method", help="full | lora (default: the recipe's)"),
    seq: int | None = typer.Option(None, "--seq"),
    micro_batch: int = typer.Option(1, "--micro-batch"),
    global_batch: int = typer.Option(64, "--global-batch", help="Sequences per optimizer step."),
    as_json: bool = typer.Option(False, "--json", help="Print the Plan as JSON."),
) -> None:
    """Per-GPU memory by ZeRO stage/offload/checkpointing, minimum GPUs and a recommended config."""
    from rich.console import Console
    from rich.table import Table

    from xlam.training.planner import plan

    if method not in (None, "full", "lora"):
        typer.echo(f"error: --method must be full or lora, got {method!r}", err=True)
        raise typer.Exit(2)
    try:
        result = plan(recipe, gpu, gpus_per_node=gpus_per_node, nodes=nodes, method=method,  # type: ignore[arg-type]
                      seq=seq, micro_batch=micro_batch, global_batch=global_batch)
    except (KeyError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    world = result.nodes * result.gpus_per_node
    table = Table(title=f"{result.recipe} ({result.method}, seq {result.seq}) on {world} x {gpu}, GiB per GPU")
    for col in ("ZeRO", "offload", "act. ckpt", "params", "grads", "optim", "acts", "logits", "buffers", "total", "fits"):
        table.add_column(col)
    for e in result.estimates:
        table.add_row(str(e.zero_stage), e.offload, "yes" if e.activation_checkpointing else "no",
                      *(f"{v:.1f}" for v in (e.params_gib, e.grads_gib, e.optimizer_gib, e.activations_gib,
                                             e.logits_gib, e.buffers_gib, e.total_gib)),
                      "yes" if e.fits else "no")
    console = Console(width=140)
    console.print(table)
    console.print(f"parameters: {result.total_params / 1e9:.2f}B total, {result.trainable_params / 1e6:.1f}M trainable")
    console.print(f"minimum GPUs: {result.min_gpus} (without offload: {result.min_gpus_without_offload})")
    console.print(f"recommended: {result.recommended.model_dump() if result.recommended else None}")
    for note in result.notes:
        console.print(f"note: {note}")


@train_app.command("export")
def export_cmd(
    checkpoint: Path = typer.Option(..., "--checkpoint", exists=True, file_okay=False,
                                    help="A checkpoint directory (step_N, or a Ray checkpoint)."),
    out: Path = typer.Option(..., "--out", help="Directory for the HF model (safetensors + model_card.json)."),
) -> None:
    """Consolidate ZeRO shards into a Hugging Face model (LoRA merged) with a model card."""
    from xlam.training.export import export_checkpoint

    if not (checkpoint / "trainer_state.json").is_file():
        typer.echo(f"error: {checkpoint} has no trainer_state.json (not an xlam training checkpoint)", err=True)
        raise typer.Exit(2)
    typer.echo(str(export_checkpoint(checkpoint, out)))


@train_app.command("recipes")
def recipes_cmd() -> None:
    """List the model recipes."""
    from xlam.training.recipes import RECIPES

    for r in RECIPES.values():
        typer.echo(f"{r.name:12s} {r.family:8s} sft={r.sft_method:4s} dpo={r.dpo_method:4s} {r.base_model}")
