"""Run pipelines locally (kfp's SubprocessRunner, no cluster) or submit them to a KFP API server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pipelines.definitions import build_pipeline
from pipelines.settings import PipelineSettings


class PipelineSubmitError(RuntimeError):
    """The KFP API server could not be reached or refused the run."""


def run_local(
    name: str,
    params: dict[str, Any] | None = None,
    *,
    pipeline_root: str | Path = "./local_outputs",
    enable_caching: bool = True,
    settings: PipelineSettings | None = None,
) -> Any:
    """Run pipeline ``name`` with kfp.local's SubprocessRunner in the current environment.

    Returns the pipeline task (its ``.outputs`` hold the final outputs). Raises ``RuntimeError``
    naming the failed task; the task's log names the stage and shard.
    """
    from kfp import local

    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(Path(pipeline_root).resolve()),
        enable_caching=enable_caching,
        raise_on_error=True,
    )
    pipeline = build_pipeline(name, settings)
    return pipeline(**(params or {}))


def submit(
    name: str,
    host: str,
    params: dict[str, Any] | None = None,
    *,
    experiment: str = "xlam",
    run_name: str | None = None,
    enable_caching: bool = True,
    namespace: str | None = None,
    settings: PipelineSettings | None = None,
    existing_token: str | None = None,
) -> str:
    """Create a run on a KFP API server; returns the run id. Clear error when unreachable."""
    import kfp

    try:
        client = kfp.Client(host=host, namespace=namespace, existing_token=existing_token)
        client.get_kfp_healthz()
    except Exception as exc:
        raise PipelineSubmitError(f"KFP API server at {host} is unreachable: {type(exc).__name__}: {exc}") from exc
    try:
        result = client.create_run_from_pipeline_func(
            build_pipeline(name, settings),
            arguments=params or {},
            run_name=run_name or f"{name}-{time.strftime('%Y%m%d-%H%M%S')}",
            experiment_name=experiment,
            enable_caching=enable_caching,
            namespace=namespace,
        )
    except Exception as exc:
        raise PipelineSubmitError(f"KFP API server at {host} refused the run: {exc}") from exc
    return str(result.run_id)
