"""``xlam pipeline compile | run | submit``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from xlam.cli.groups import pipeline_app


def register(app: typer.Typer) -> None:
    """Commands are attached to ``pipeline_app`` at import time."""


def _params(params: str | None, params_file: Path | None) -> dict:  # type: ignore[type-arg]
    data: dict = {}  # type: ignore[type-arg]
    if params_file is not None:
        import yaml

        data.update(yaml.safe_load(params_file.read_text()) or {})
    if params:
        try:
            data.update(json.loads(params))
        except json.JSONDecodeError as exc:
            typer.echo(f"error: --params is not valid JSON: {exc}", err=True)
            raise typer.Exit(2) from exc
    return data


@pipeline_app.command("compile")
def compile_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("pipelines/compiled"),
    settings: Annotated[Path | None, typer.Option(help="PipelineSettings YAML (image, PVC, secrets...).")] = None,
) -> None:
    """Compile every pipeline to IR YAML and Kubernetes manifests."""
    from pipelines.compile import compile_all
    from pipelines.settings import PipelineSettings

    for path in compile_all(out_dir, PipelineSettings.load(settings)):
        typer.echo(str(path))


@pipeline_app.command("run")
def run_cmd(
    name: Annotated[str, typer.Argument(help="xlam-data | xlam-synthesis | xlam-end-to-end")],
    local: Annotated[bool, typer.Option("--local/--no-local", help="kfp local SubprocessRunner.")] = True,
    params: Annotated[str | None, typer.Option(help="Pipeline parameters as JSON.")] = None,
    params_file: Annotated[Path | None, typer.Option(help="Pipeline parameters as YAML.")] = None,
    pipeline_root: Annotated[Path, typer.Option(help="Where local outputs go.")] = Path("local_outputs"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Turn caching off for this run.")] = False,
) -> None:
    """Run a pipeline locally (no cluster needed)."""
    from pipelines.definitions import PIPELINE_NAMES
    from pipelines.runner import run_local

    if name not in PIPELINE_NAMES:
        typer.echo(f"error: unknown pipeline {name!r}; choose one of {', '.join(PIPELINE_NAMES)}", err=True)
        raise typer.Exit(2)
    if not local:
        typer.echo("error: use `xlam pipeline submit --host URL` to run on a cluster", err=True)
        raise typer.Exit(2)
    try:
        run_local(name, _params(params, params_file), pipeline_root=pipeline_root, enable_caching=not no_cache)
    except RuntimeError as exc:
        typer.echo(f"error: pipeline {name} failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"pipeline {name} succeeded; outputs under {pipeline_root}")


@pipeline_app.command("submit")
def submit_cmd(
    name: Annotated[str, typer.Argument(help="xlam-data | xlam-synthesis | xlam-end-to-end")],
    host: Annotated[str, typer.Option(help="KFP API server URL.")],
    params: Annotated[str | None, typer.Option(help="Pipeline parameters as JSON.")] = None,
    params_file: Annotated[Path | None, typer.Option(help="Pipeline parameters as YAML.")] = None,
    experiment: Annotated[str, typer.Option()] = "xlam",
    namespace: Annotated[str | None, typer.Option()] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
    settings: Annotated[Path | None, typer.Option(help="PipelineSettings YAML.")] = None,
) -> None:
    """Submit a run to a Kubeflow Pipelines API server."""
    from pipelines.runner import PipelineSubmitError, submit
    from pipelines.settings import PipelineSettings

    try:
        run_id = submit(name, host, _params(params, params_file), experiment=experiment, namespace=namespace,
                        enable_caching=not no_cache, settings=PipelineSettings.load(settings))
    except PipelineSubmitError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(run_id)
