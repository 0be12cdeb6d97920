"""``xlam quickstart``: the whole xLAM loop on this machine, through a control plane it starts itself.

Registered into the ``xlam`` command through the ``xlam.cli`` entry-point group (pyproject.toml), like
the other upper layers' commands, so the core names no upper layer. The orchestration lives in
:mod:`services.quickstart` (it drives the REST API); this module only
parses options and maps failures to exit codes: 0 done, 1 a step failed (named), 2 bad options,
130 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SIZES = ("tiny-moe", "smol", "smol-moe")


def register(app: typer.Typer) -> None:
    """Add the top-level ``quickstart`` command."""

    @app.command()
    def quickstart(
        size: Annotated[str, typer.Option(
            help="Model trained: smol (SmolLM2-135M-Instruct, the default), smol-moe (SmolLM2 upcycled to 4 "
                 "experts), tiny-moe (random 2-layer MoE: the fastest smoke run, no skill).")] = "smol",
        out: Annotated[Path, typer.Option(help="Output directory (report, PNGs, control-plane state).")] = Path(
            "xlam-quickstart"),
        fresh: Annotated[bool, typer.Option("--fresh", help="Delete a previous quickstart in --out and start over.")] = False,
        max_minutes: Annotated[float, typer.Option(help="Fail (naming the step) after this many minutes.")] = 60.0,
        train_steps: Annotated[int | None, typer.Option(help="SFT optimizer steps (and DPO's, a third, for sizes with DPO).")] = None,
        synth_n: Annotated[int | None, typer.Option(help="Verified samples to synthesize.")] = None,
        eval_limit: Annotated[int | None, typer.Option(help="BFCL items per evaluated category.")] = None,
        eval_max_tokens: Annotated[int | None, typer.Option(
            help="New tokens per BFCL answer (default: the longest gold answer of the evaluated items + 16).")] = None,
        launcher: Annotated[str, typer.Option(
            help="Training: local (one worker in the run's process, plain torch engine) or ray (Ray Train + "
                 "DeepSpeed ZeRO-2; the same per-worker loop).")] = "local",
        keep_running: Annotated[bool, typer.Option(
            "--keep-running", help="Keep the API and worker up at the end, until Ctrl-C.")] = False,
    ) -> None:
        """Run the whole xLAM loop on this machine through a control plane it starts itself.

        Seed data -> tool library -> APIGen synthesis -> preference pairs -> SFT on BFCL-style prompts
        (+ DPO for tiny-moe) -> BFCL evaluation of the base and the trained model -> registered model
        version with lineage and the `latest` alias; writes OUT/report.md (led by the before/after
        table) and PNGs. Uses a CUDA GPU when there is one. Safe to run again: finished steps are reused.
        """
        from pydantic import ValidationError

        if size not in SIZES:
            typer.echo(f"error: --size must be one of {', '.join(SIZES)} (got {size!r})", err=True)
            raise typer.Exit(2)
        if launcher not in ("local", "ray"):
            typer.echo(f"error: --launcher must be local or ray (got {launcher!r})", err=True)
            raise typer.Exit(2)
        from services.quickstart import (  # the package is heavy: imported when the command runs
            QuickstartError,
            QuickstartOptions,
            QuickstartUsageError,
            run_quickstart,
        )

        try:
            options = QuickstartOptions(size=size, out=out, fresh=fresh, max_minutes=max_minutes,
                                        train_steps=train_steps, synth_n=synth_n, eval_limit=eval_limit,
                                        eval_max_tokens=eval_max_tokens, launcher=launcher,
                                        keep_running=keep_running)
        except ValidationError as exc:
            first = exc.errors()[0]
            typer.echo(f"error: --{str(first['loc'][0]).replace('_', '-')}: {first['msg']}", err=True)
            raise typer.Exit(2) from None
        try:
            report = run_quickstart(options)
        except QuickstartUsageError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except QuickstartError as exc:
            typer.secho(f"quickstart failed at step '{exc.step}': {exc.message}", fg="red", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.secho("quickstart interrupted; the API and worker were stopped. Run it again to resume.",
                        fg="yellow", err=True)
            raise typer.Exit(130) from None
        typer.echo(f"report: {report}")
