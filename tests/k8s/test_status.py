"""Status mapping (RayJob two axes, KFP states, batch Job) and status patches."""

from __future__ import annotations

import pytest

from operators import reconcile
from operators.status import PhaseUpdate, map_job_status, map_kfp_state, map_rayjob_status, next_status


@pytest.mark.parametrize(("job", "dep", "phase"), [
    ("", "", "Submitted"),
    ("", "Initializing", "Submitted"),
    ("PENDING", "Running", "Submitted"),
    ("RUNNING", "Running", "Running"),
    ("RUNNING", "Retrying", "Running"),
    ("", "Retrying", "Running"),
    ("SUCCEEDED", "Running", "Succeeded"),   # app done, cluster still shutting down
    ("SUCCEEDED", "Complete", "Succeeded"),
    ("FAILED", "Running", "Failed"),         # kuberay#3553/#3860: app failed, deployment still Running
    ("FAILED", "Complete", "Failed"),
    ("FAILED", "Failed", "Failed"),
    ("STOPPED", "Complete", "Failed"),
    ("", "Failed", "Failed"),                # SubmissionFailed / DeadlineExceeded before the app ran
    ("PENDING", "Failed", "Failed"),
    ("", "ValidationFailed", "Failed"),
    ("", "Suspended", "Queued"),             # Kueue has not admitted it
    ("", "Suspending", "Queued"),
    ("", "Waiting", "Queued"),
    ("", "Complete", "Failed"),
])
def test_rayjob_both_axes(job: str, dep: str, phase: str) -> None:
    assert map_rayjob_status({"jobStatus": job, "jobDeploymentStatus": dep}).phase == phase


def test_rayjob_reason_is_kept_and_cancel() -> None:
    up = map_rayjob_status({"jobStatus": "", "jobDeploymentStatus": "Failed", "reason": "DeadlineExceeded",
                            "message": "activeDeadlineSeconds reached"})
    assert (up.phase, up.reason, up.message) == ("Failed", "DeadlineExceeded", "activeDeadlineSeconds reached")
    assert map_rayjob_status({"jobStatus": "STOPPED"}, cancel_requested=True).phase == "Cancelled"
    assert map_rayjob_status({"jobStatus": "RUNNING", "jobDeploymentStatus": "Running"},
                             cancel_requested=True).phase == "Cancelling"
    assert map_rayjob_status(None).phase == "Submitted"


@pytest.mark.parametrize(("state", "phase"), [
    ("PENDING", "Submitted"), ("RUNNING", "Running"), ("PAUSED", "Running"), ("SUCCEEDED", "Succeeded"),
    ("SKIPPED", "Succeeded"), ("FAILED", "Failed"), ("CANCELING", "Cancelling"), ("CANCELED", "Cancelled"),
    ("RUNTIME_STATE_UNSPECIFIED", "Submitted"), (None, "Submitted"),
])
def test_kfp_states(state: str | None, phase: str) -> None:
    assert map_kfp_state(state).phase == phase


def test_kfp_error_message_and_cancel() -> None:
    up = map_kfp_state("FAILED", error={"code": 2, "message": "task verify-op failed"})
    assert up.phase == "Failed" and up.message == "task verify-op failed"
    assert map_kfp_state("RUNNING", cancel_requested=True).phase == "Cancelling"


@pytest.mark.parametrize(("status", "phase"), [
    ({}, "Submitted"),
    ({"active": 1}, "Running"),
    ({"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1}, "Succeeded"),
    ({"conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}, "Failed"),
    ({"conditions": [{"type": "Suspended", "status": "True"}]}, "Queued"),
    ({"conditions": [{"type": "Failed", "status": "False"}], "active": 1}, "Running"),
])
def test_job_status(status: dict, phase: str) -> None:
    assert map_job_status(status).phase == phase


def test_next_status_transitions_and_sticky_terminal() -> None:
    p1 = next_status({}, PhaseUpdate("Running", "RayJobRunning"), generation=1, timestamp="2026-01-01T00:00:00Z")
    assert p1["phase"] == "Running" and p1["startTime"] == "2026-01-01T00:00:00Z" and p1["observedGeneration"] == 1
    assert [c["type"] for c in p1["conditions"]] == ["Running"]
    s1 = {**p1}
    assert next_status(s1, PhaseUpdate("Running", "RayJobRunning"), generation=1) == {}  # no-op
    p2 = next_status(s1, PhaseUpdate("Succeeded", "RayJobSucceeded"), generation=1, timestamp="2026-01-02T00:00:00Z")
    assert p2["completionTime"] == "2026-01-02T00:00:00Z" and "startTime" not in p2
    conds = {c["type"]: c for c in p2["conditions"]}
    assert conds["Running"]["status"] == "False" and conds["Succeeded"]["status"] == "True"
    s2 = {**s1, **p2}
    assert next_status(s2, PhaseUpdate("Running", "late event"), generation=1) == {}  # terminal is sticky


def _cr(status: dict | None = None, cancel: bool = False) -> dict:
    return {"apiVersion": "xlam.ai/v1alpha1", "kind": "TrainingRun",
            "metadata": {"name": "r", "namespace": "ns", "uid": "u", "generation": 2},
            "spec": {"recipe": "tiny", "cancel": cancel}, "status": status or {}}


def test_training_status_patch_follows_rayjob() -> None:
    rj = {"metadata": {"name": "r"}, "status": {"jobStatus": "RUNNING", "jobDeploymentStatus": "Running",
                                                "rayClusterName": "r-x", "dashboardURL": "r-head:8265"}}
    patch = reconcile.training_status_patch(_cr({"phase": "Submitted"}), rj)
    assert patch["phase"] == "Running" and patch["rayJob"]["rayClusterName"] == "r-x"
    assert patch["observedGeneration"] == 2


def test_missing_child_after_cancel_vs_unexpected() -> None:
    assert reconcile.training_status_patch(_cr({"phase": "Running"}, cancel=True), None)["phase"] == "Cancelled"
    unexpected = reconcile.training_status_patch(_cr({"phase": "Running"}), None)
    assert unexpected["phase"] == "Failed" and unexpected["reason"] == "ChildDeleted"
    assert reconcile.training_status_patch(_cr({"phase": "Succeeded"}), None) == {}  # TTL cleanup later
