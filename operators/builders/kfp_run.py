"""SynthesisRun -> a KFP v2beta1 run request body (REST ``POST /apis/v2beta1/runs``)."""

from __future__ import annotations

from typing import Any


def display_name(cr: dict[str, Any]) -> str:
    """Unique per resource (namespace/name/uid prefix): KFP has no idempotency key, so the operator
    looks a run up by this name before creating one."""
    meta = cr["metadata"]
    return f"xlam-{meta['namespace']}-{meta['name']}-{meta['uid'][:8]}"


def parameters(cr: dict[str, Any]) -> dict[str, Any]:
    """The pipeline's parameters exactly as given (KFP rejects parameters a pipeline does not declare;
    where outputs go is the pipeline's ``pipeline_root``)."""
    return dict(cr["spec"].get("parameters") or {})


def build_run_body(cr: dict[str, Any], *, pipeline_id: str, version_id: str, experiment_id: str | None,
                   output_root: str) -> dict[str, Any]:
    spec = cr["spec"]
    body: dict[str, Any] = {
        "display_name": display_name(cr),
        "description": f"{spec.get('type', 'DataPipeline')} run for {cr['kind']} "
                       f"{cr['metadata']['namespace']}/{cr['metadata']['name']} (uid {cr['metadata']['uid']})",
        "pipeline_version_reference": {"pipeline_id": pipeline_id, "pipeline_version_id": version_id},
        "runtime_config": {"parameters": parameters(cr)},
    }
    root = spec.get("pipelineRoot") or (f"{output_root}/pipelines" if "://" in output_root else "")
    if root:
        body["runtime_config"]["pipeline_root"] = root
    if experiment_id:
        body["experiment_id"] = experiment_id
    if spec.get("serviceAccount"):
        body["service_account"] = spec["serviceAccount"]
    return body
