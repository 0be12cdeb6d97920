"""``xlam experiment run FILE``: an experiment file end to end (data -> train -> eval -> report)."""

from __future__ import annotations

from typing import Annotated

import typer

from xlam.cli.errors import bad_input_exits, fail, read_config_file

experiment_app = typer.Typer(help="Experiment files: data recipe, training, BFCL evaluation, ablations.",
                             no_args_is_help=True)


@experiment_app.command("run")
def run(
    file: Annotated[str, typer.Argument(help="An experiment file (experiments/*.yaml).")],
    workdir: Annotated[str, typer.Option(help="Work directory (stages reuse what it holds).")],
    stages: Annotated[str, typer.Option(help="Comma-separated: data,train,eval,report.")] = "data,train,eval,report",
    only: Annotated[str, typer.Option(help="Comma-separated variant names (and 'base').")] = "",
    device: Annotated[str | None, typer.Option(help="cuda / cpu (default: cuda when available).")] = None,
) -> None:
    """Run FILE's stages for the baseline and every variant; writes WORKDIR/report.md."""
    from xlam.experiments import STAGES, ExperimentConfig, run_experiment

    raw = read_config_file(file, what="experiment", allow_empty=False)
    chosen = [s for s in stages.split(",") if s]
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        fail(f"--stages: unknown stage(s) {unknown}; known: {list(STAGES)}")
    with bad_input_exits():
        config = ExperimentConfig.model_validate(raw)
    names = [s for s in only.split(",") if s]
    known = {"base", config.baseline_name, *(v.name for v in config.variants)}
    if set(names) - known:
        fail(f"{file}: --only names unknown variant(s) {sorted(set(names) - known)}; known: {sorted(known)}")
    run_experiment(config, workdir, chosen, names or None, device)  # type: ignore[arg-type]
    typer.echo(f"report: {workdir}/report.md")


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
