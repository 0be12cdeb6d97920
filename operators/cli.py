"""``xlam operator``: run the Kubernetes operator; render the CRDs."""

from __future__ import annotations

import typer

operator_app = typer.Typer(help="Kubernetes operator for TrainingRun / SynthesisRun / EvaluationRun.",
                           no_args_is_help=True)


@operator_app.command("run")
def run(
    namespace: list[str] = typer.Option([], "--namespace", "-n", help="Namespaces to serve (default: all)."),
    standalone: bool = typer.Option(True, help="No peering (one replica, strategy Recreate)."),
    liveness: str = typer.Option("http://0.0.0.0:8080/healthz", help="Liveness endpoint URL ('' to disable)."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run the operator (kopf) in the foreground."""
    import asyncio
    import logging

    import kopf

    import operators.handlers  # noqa: F401  (registers the handlers)

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(kopf.operator(
        standalone=standalone,
        clusterwide=not namespace,
        namespaces=namespace or (),
        liveness_endpoint=liveness or None,
    ))


@operator_app.command("crds")
def crds() -> None:
    """Print the CustomResourceDefinitions (YAML) to stdout."""
    import yaml

    from platform_contracts.k8s.crd_schemas import all_crds

    typer.echo(yaml.safe_dump_all(all_crds(), sort_keys=False))


def register(app: typer.Typer) -> None:
    app.add_typer(operator_app, name="operator")
