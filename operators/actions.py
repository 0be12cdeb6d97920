"""Reconcile actions with injected clients (Kubernetes, KFP, control plane).

Each function takes the custom resource as a plain dict and returns the status patch to apply;
errors surface as ``KubeError`` / ``KfpError`` / ``ControlPlaneError`` / ``SizingError`` /
``ChildConflict`` and the kopf handlers translate them to temporary or permanent errors.
"""

from __future__ import annotations

import logging
from typing import Any

from operators import reconcile
from operators.builders import kfp_run
from operators.builders.common import storage_parts
from operators.control_plane import ControlPlaneClient, ControlPlaneError
from operators.kfp_client import KfpClient
from operators.settings import OperatorSettings
from operators.status import PhaseUpdate, next_status
from platform_contracts.k8s.kube import KubeApi, KubeError
from platform_contracts.k8s.labels import RUN_ID_LABEL
from platform_contracts.runstate import TERMINAL_PHASES

log = logging.getLogger("xlam.operator")


def ensure_child(api: KubeApi, cr: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Create ``child`` unless it exists; an existing one must be controlled by ``cr``."""
    try:
        return api.create(child)
    except KubeError as exc:
        if exc.status != 409:
            raise
    existing = api.get(child["kind"], child["metadata"]["namespace"], child["metadata"]["name"])
    if existing is None:  # deleted between our create and get: retry later
        raise KubeError(f"{child['kind']} {child['metadata']['name']} vanished", status=409, retryable=True)
    reconcile.check_adoptable(existing, cr)
    return existing


def register(cr: dict[str, Any], client: ControlPlaneClient | None, api: KubeApi | None = None) -> dict[str, Any]:
    """Status patch with the control-plane run id (registering kubectl-created runs).

    The ``xlam.ai/run-id`` label is written at once (not with the handler's deferred patch) so the
    control plane's worker, which may pick the new run up within milliseconds, adopts this resource.
    """
    status = cr.get("status") or {}
    spec = cr.get("spec") or {}
    known = (status.get("controlPlane") or {}).get("runId")
    if spec.get("controlPlaneRunId"):
        return {} if known == spec["controlPlaneRunId"] else {"controlPlane": {"runId": spec["controlPlaneRunId"]}}
    if known or client is None:
        return {}
    try:
        run_id = client.register(cr)
    except ControlPlaneError as exc:
        if exc.retryable:
            raise
        log.warning("control-plane registration of %s refused: %s", cr["metadata"]["name"], exc)
        return {}
    if api is not None:
        api.patch(cr["kind"], cr["metadata"]["namespace"], cr["metadata"]["name"],
                  {"metadata": {"labels": {RUN_ID_LABEL: run_id}}})
    return {"controlPlane": {"runId": run_id}}


def start_training(api: KubeApi, cr: dict[str, Any], settings: OperatorSettings) -> dict[str, Any]:
    desired = reconcile.training_desired(cr, settings)
    for child in desired.children:
        ensure_child(api, cr, child)
    patch = dict(desired.status)
    if not (cr.get("status") or {}).get("phase"):
        patch.update(next_status(cr.get("status"), PhaseUpdate("Submitted", "ChildrenCreated",
                                                                "RayJob and ConfigMap created"),
                                 generation=reconcile.generation(cr)))
    return patch


def start_evaluation(api: KubeApi, cr: dict[str, Any], settings: OperatorSettings) -> dict[str, Any]:
    desired = reconcile.evaluation_desired(cr, settings)
    for child in desired.children:
        ensure_child(api, cr, child)
    patch = dict(desired.status)
    if not (cr.get("status") or {}).get("phase"):
        patch.update(next_status(cr.get("status"), PhaseUpdate("Submitted", "ChildrenCreated", "Job created"),
                                 generation=reconcile.generation(cr)))
    return patch


def start_synthesis(kfp: KfpClient, cr: dict[str, Any]) -> dict[str, Any]:
    """Create the KFP run exactly once (looked up by its unique display name first)."""
    status = cr.get("status") or {}
    if (status.get("kfpRun") or {}).get("id"):
        return {}
    spec = cr["spec"]
    experiment_id = kfp.ensure_experiment(spec.get("experiment", "xlam"))
    name = kfp_run.display_name(cr)
    run = kfp.find_run(name, experiment_id)
    if run is None:
        pipe = spec["pipeline"]
        pid, vid = kfp.resolve_pipeline(pipe["name"], pipe.get("pipelineId"), pipe.get("versionId"))
        root = storage_parts(spec)[4] if spec.get("storage") else "/data"
        run = kfp.create_run(kfp_run.build_run_body(cr, pipeline_id=pid, version_id=vid,
                                                    experiment_id=experiment_id, output_root=root))
    patch = reconcile.synthesis_status_patch(cr, run, kfp.run_url(str(run.get("run_id"))))
    patch.setdefault("kfpRun", {"id": str(run.get("run_id")), "state": str(run.get("state", "")),
                                "url": kfp.run_url(str(run.get("run_id")))})
    return patch


def sync_training(api: KubeApi, cr: dict[str, Any]) -> dict[str, Any]:
    name = (cr.get("status") or {}).get("rayJob", {}).get("name")
    if not name:
        return {}
    return reconcile.training_status_patch(cr, api.get("RayJob", cr["metadata"]["namespace"], name))


def sync_evaluation(api: KubeApi, cr: dict[str, Any]) -> dict[str, Any]:
    name = (cr.get("status") or {}).get("job", {}).get("name")
    if not name:
        return {}
    return reconcile.evaluation_status_patch(cr, api.get("Job", cr["metadata"]["namespace"], name))


def sync_synthesis(kfp: KfpClient, cr: dict[str, Any]) -> dict[str, Any]:
    run_id = ((cr.get("status") or {}).get("kfpRun") or {}).get("id")
    if not run_id:
        return {}
    return reconcile.synthesis_status_patch(cr, kfp.get_run(run_id), kfp.run_url(run_id))


def cancel(api: KubeApi, kfp: KfpClient | None, cr: dict[str, Any]) -> dict[str, Any]:
    """Stop the child: delete the RayJob/Job (KubeRay and the Job controller tear the pods down, so
    the run is Cancelled at once) or terminate the KFP run (Cancelling until KFP reports CANCELED)."""
    status = cr.get("status") or {}
    if status.get("phase") in TERMINAL_PHASES:
        return {}
    done = cleanup(api, kfp, cr)
    if cr["kind"] == "SynthesisRun":
        update = PhaseUpdate("Cancelling", "CancelRequested", "KFP run termination requested")
    else:
        update = PhaseUpdate("Cancelled", "Cancelled", f"deleted {', '.join(done) or 'nothing (no child left)'}")
    return next_status(status, update, generation=reconcile.generation(cr))


def cleanup(api: KubeApi, kfp: KfpClient | None, cr: dict[str, Any]) -> list[str]:
    """Delete the Kubernetes children and terminate an unfinished KFP run (finalizer and cancel)."""
    done: list[str] = []
    ns = cr["metadata"]["namespace"]
    for kind, name in reconcile.children_to_delete(cr):
        if api.delete(kind, ns, name):
            done.append(f"{kind}/{name}")
    run = (cr.get("status") or {}).get("kfpRun") or {}
    if kfp is not None and run.get("id") and run.get("state") not in ("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"):
        kfp.terminate_run(run["id"])
        done.append(f"kfp-run/{run['id']}")
    return done
