"""Pure reconcile logic: desired children, adoption checks, status patches, cleanup lists.

The kopf handlers (operators/handlers.py) only do I/O around these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from operators.builders import common, eval_job, rayjob
from operators.settings import OperatorSettings
from operators.sizing import Sizing, resolve_sizing
from operators.status import PhaseUpdate, map_job_status, map_kfp_state, map_rayjob_status, next_status
from platform_contracts.runstate import TERMINAL_PHASES


class ChildConflict(ValueError):
    """A child's name is taken by an object this run does not own: permanent (rename the run)."""


class InvalidRunConfig(ValueError):
    """The generated training/evaluation config does not validate: permanent (fix the spec)."""


@dataclass
class DesiredState:
    children: list[dict[str, Any]]
    status: dict[str, Any] = field(default_factory=dict)


def training_desired(cr: dict[str, Any], settings: OperatorSettings, sizing: Sizing | None = None) -> DesiredState:
    """ConfigMap + RayJob of a TrainingRun (sizing from the planner unless given/explicit)."""
    sizing = sizing or resolve_sizing(cr["spec"])
    cfg = rayjob.train_config(cr, sizing)
    from xlam.errors import XlamError

    try:
        rayjob.validate_train_config(cfg)
    except XlamError as exc:  # TrainConfigError names every bad field
        raise InvalidRunConfig(f"spec.config: {exc}") from exc
    _, _, _, _, root = common.storage_parts(cr["spec"])
    cm = rayjob.build_configmap(cr, sizing, root)
    rj = rayjob.build_rayjob(cr, sizing, settings)
    output_dir, storage_path = rayjob.output_location(cr)
    return DesiredState([cm, rj], {"sizing": sizing.as_status(), "configMap": cm["metadata"]["name"],
                                   "rayJob": {"name": rj["metadata"]["name"]},
                                   "outputUri": storage_path or output_dir})


def evaluation_desired(cr: dict[str, Any], settings: OperatorSettings) -> DesiredState:
    job = eval_job.build_job(cr, settings)
    return DesiredState([job], {"job": {"name": job["metadata"]["name"]}})


def check_adoptable(existing: dict[str, Any], cr: dict[str, Any]) -> None:
    """An existing child with our name must be controlled by this very resource (same uid)."""
    uid = cr["metadata"]["uid"]
    refs = (existing.get("metadata") or {}).get("ownerReferences") or []
    if not any(r.get("uid") == uid and r.get("controller") for r in refs):
        meta = existing.get("metadata") or {}
        raise ChildConflict(f"{existing.get('kind')} {meta.get('namespace')}/{meta.get('name')} exists and is "
                            f"not owned by {cr['kind']} {cr['metadata']['name']} (uid {uid})")


def cancel_requested(cr: dict[str, Any]) -> bool:
    return bool((cr.get("spec") or {}).get("cancel"))


def generation(cr: dict[str, Any]) -> int | None:
    gen = (cr.get("metadata") or {}).get("generation")
    return int(gen) if gen is not None else None


def training_status_patch(cr: dict[str, Any], rayjob_obj: dict[str, Any] | None) -> dict[str, Any]:
    status = cr.get("status") or {}
    if rayjob_obj is None:
        update = _missing_child(cr, "RayJob")
        patch = next_status(status, update, generation=generation(cr))
        return patch
    rs = rayjob_obj.get("status") or {}
    update = map_rayjob_status(rs, cancel_requested=cancel_requested(cr))
    patch = next_status(status, update, generation=generation(cr))
    if status.get("phase") in TERMINAL_PHASES and not patch:
        return {}
    ray_info = {"name": rayjob_obj["metadata"]["name"], "jobStatus": rs.get("jobStatus", ""),
                "jobDeploymentStatus": rs.get("jobDeploymentStatus", ""), "reason": rs.get("reason", ""),
                "rayClusterName": rs.get("rayClusterName", ""), "dashboardURL": rs.get("dashboardURL", "")}
    if (status.get("rayJob") or {}) != ray_info:
        patch["rayJob"] = ray_info
    return patch


def evaluation_status_patch(cr: dict[str, Any], job: dict[str, Any] | None) -> dict[str, Any]:
    status = cr.get("status") or {}
    if job is None:
        return next_status(status, _missing_child(cr, "Job"), generation=generation(cr))
    js = job.get("status") or {}
    patch = next_status(status, map_job_status(js, cancel_requested=cancel_requested(cr)),
                        generation=generation(cr))
    info = {"name": job["metadata"]["name"], "active": int(js.get("active") or 0),
            "succeeded": int(js.get("succeeded") or 0), "failed": int(js.get("failed") or 0)}
    if (status.get("job") or {}) != info:
        patch["job"] = info
    return patch


def synthesis_status_patch(cr: dict[str, Any], run: dict[str, Any], url: str) -> dict[str, Any]:
    status = cr.get("status") or {}
    update = map_kfp_state(run.get("state"), error=run.get("error"), cancel_requested=cancel_requested(cr))
    patch = next_status(status, update, generation=generation(cr))
    info = {"id": str(run.get("run_id", "")), "state": str(run.get("state", "")), "url": url}
    if (status.get("kfpRun") or {}) != info:
        patch["kfpRun"] = info
    return patch


def _missing_child(cr: dict[str, Any], kind: str) -> PhaseUpdate:
    """The child is gone: after a cancel that is the end of the cancellation; otherwise a failure
    (someone deleted it) unless the run already finished (TTL cleanup)."""
    if cancel_requested(cr):
        return PhaseUpdate("Cancelled", "Cancelled", f"{kind} deleted on cancel")
    return PhaseUpdate("Failed", "ChildDeleted", f"{kind} was deleted before the run finished")


def children_to_delete(cr: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) of the Kubernetes children to delete on cancel or finalization."""
    if cr["kind"] == "TrainingRun":
        return [("RayJob", rayjob.rayjob_name(cr)), ("ConfigMap", rayjob.configmap_name(cr))]
    if cr["kind"] == "EvaluationRun":
        return [("Job", eval_job.job_name(cr))]
    return []
