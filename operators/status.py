"""Pure status mapping: child state (RayJob, KFP run, batch Job) -> our run phase.

Phases are the control plane's state machine: Queued, Submitted, Running, Succeeded, Failed,
Cancelling, Cancelled. RayJob status has two axes (platform-reference 2.2): ``jobStatus`` is the Ray
application (``""``, PENDING, RUNNING, STOPPED, SUCCEEDED, FAILED) and ``jobDeploymentStatus`` the
infrastructure (``""``, Initializing, Running, Complete, Failed, ValidationFailed, Suspending,
Suspended, Retrying, Waiting). Both are mapped: e.g. ``jobStatus=FAILED`` while the deployment is
still ``Running`` is a failed run (KubeRay issues #3553, #3860).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from platform_contracts.runstate import TERMINAL_PHASES, ResourcePhase


@dataclass(frozen=True)
class PhaseUpdate:
    """A mapped child state: our phase plus the reason/message to show."""

    phase: ResourcePhase
    reason: str = ""
    message: str = ""

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES


RAY_APP_TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED"}


def map_rayjob_status(rayjob_status: dict[str, Any] | None, *, cancel_requested: bool = False) -> PhaseUpdate:
    """Map a RayJob ``.status`` (both axes) to a phase."""
    st = rayjob_status or {}
    job = str(st.get("jobStatus") or "").upper()
    dep = str(st.get("jobDeploymentStatus") or "")
    reason = str(st.get("reason") or "")
    message = str(st.get("message") or "")
    where = f"jobStatus={job or '-'} jobDeploymentStatus={dep or '-'}"

    # The application outcome wins once it is terminal, whatever the infrastructure axis says.
    if job == "SUCCEEDED":
        return PhaseUpdate("Succeeded", reason or "RayJobSucceeded", message or where)
    if job == "FAILED":
        return PhaseUpdate("Failed", reason or "AppFailed", message or where)
    if job == "STOPPED":
        if cancel_requested:
            return PhaseUpdate("Cancelled", "Cancelled", message or where)
        return PhaseUpdate("Failed", reason or "RayJobStopped", message or where)
    # Infrastructure failures (submission failed, deadlines, validation) with no app verdict.
    if dep in ("Failed", "ValidationFailed"):
        return PhaseUpdate("Failed", reason or dep, message or where)
    if dep == "Complete":  # complete without a terminal app state: the submitter finished oddly
        return PhaseUpdate("Failed", reason or "CompleteWithoutJobStatus", message or where)
    if cancel_requested:
        return PhaseUpdate("Cancelling", "CancelRequested", where)
    if dep in ("Suspended", "Suspending", "Waiting"):
        return PhaseUpdate("Queued", reason or f"RayJob{dep}", message or "waiting for admission (Kueue) or resources")
    if dep == "Retrying":
        return PhaseUpdate("Running", "Retrying", message or where)
    if job == "RUNNING":
        return PhaseUpdate("Running", "RayJobRunning", where)
    # "" / Initializing / Running with PENDING: the cluster or submitter is coming up.
    return PhaseUpdate("Submitted", "RayJobStarting", where)


KFP_STATES: dict[str, ResourcePhase] = {
    "RUNTIME_STATE_UNSPECIFIED": "Submitted",
    "PENDING": "Submitted",
    "RUNNING": "Running",
    "PAUSED": "Running",
    "SUCCEEDED": "Succeeded",
    "SKIPPED": "Succeeded",
    "FAILED": "Failed",
    "CANCELING": "Cancelling",
    "CANCELED": "Cancelled",
}


def map_kfp_state(state: str | None, *, error: dict[str, Any] | None = None,
                  cancel_requested: bool = False) -> PhaseUpdate:
    """Map a KFP v2beta1 run ``state`` to a phase."""
    s = str(state or "RUNTIME_STATE_UNSPECIFIED").upper()
    phase = KFP_STATES.get(s)
    if phase is None:
        return PhaseUpdate("Running", "UnknownKfpState", f"KFP state {s!r}")
    message = str((error or {}).get("message") or f"KFP run state {s}")
    if cancel_requested and phase in ("Submitted", "Running"):
        return PhaseUpdate("Cancelling", "CancelRequested", message)
    return PhaseUpdate(phase, f"Kfp{s.title().replace('_', '')}", message)


def map_job_status(job_status: dict[str, Any] | None, *, cancel_requested: bool = False) -> PhaseUpdate:
    """Map a batch/v1 Job ``.status`` to a phase (conditions first, then pod counters)."""
    st = job_status or {}
    for cond in st.get("conditions") or []:
        if cond.get("status") != "True":
            continue
        ctype = cond.get("type")
        if ctype == "Complete":
            return PhaseUpdate("Succeeded", "JobComplete", str(cond.get("message") or ""))
        if ctype == "Failed":
            return PhaseUpdate("Failed", str(cond.get("reason") or "JobFailed"), str(cond.get("message") or ""))
        if ctype == "Suspended":
            return PhaseUpdate("Queued", "JobSuspended", "waiting for admission")
    if cancel_requested:
        return PhaseUpdate("Cancelling", "CancelRequested", "")
    if int(st.get("active") or 0) > 0 or int(st.get("ready") or 0) > 0:
        return PhaseUpdate("Running", "JobRunning", f"active={st.get('active', 0)}")
    return PhaseUpdate("Submitted", "JobStarting", "")


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def next_status(current: dict[str, Any] | None, update: PhaseUpdate, *, generation: int | None,
                timestamp: str | None = None) -> dict[str, Any]:
    """The status patch that moves ``current`` to ``update``.

    Terminal phases are sticky (a late child event never resurrects a finished run); a ``Ready``
    style condition named after the phase is kept, with ``lastTransitionTime`` changing only on a
    transition; start/completion times are set once.
    """
    cur = current or {}
    ts = timestamp or now_iso()
    old_phase = cur.get("phase")
    if old_phase in TERMINAL_PHASES and old_phase != update.phase:
        return {}
    patch: dict[str, Any] = {"phase": update.phase, "reason": update.reason, "message": update.message[:1024]}
    if generation is not None:
        patch["observedGeneration"] = generation
    if update.phase in ("Running", "Succeeded", "Failed") and not cur.get("startTime"):
        patch["startTime"] = ts
    if update.terminal and not cur.get("completionTime"):
        patch["completionTime"] = ts
    conditions = {c["type"]: dict(c) for c in cur.get("conditions") or [] if "type" in c}
    for ctype, true in (("Running", update.phase == "Running"),
                        ("Succeeded", update.phase == "Succeeded"),
                        ("Failed", update.phase == "Failed"),
                        ("Cancelled", update.phase == "Cancelled")):
        status = "True" if true else "False"
        old = conditions.get(ctype)
        if old is None and not true:
            continue
        if old is None or old.get("status") != status:
            conditions[ctype] = {"type": ctype, "status": status, "reason": update.reason or update.phase,
                                 "message": update.message[:512], "lastTransitionTime": ts}
        if generation is not None:
            conditions[ctype]["observedGeneration"] = generation
    patch["conditions"] = list(conditions.values())
    if patch_is_noop(cur, patch):
        return {}
    return patch


def patch_is_noop(current: dict[str, Any], patch: dict[str, Any]) -> bool:
    return all(current.get(k) == v for k, v in patch.items())
