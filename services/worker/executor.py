"""Drive one run through the state machine on its backend (idempotent; lease-protected)."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from platform_contracts.outputs import RunOutputs
from platform_contracts.runspecs import parse_spec
from services.backends import BackendStatus, RunContext, get_backend
from services.db.models import Run
from services.db.runs import append_logs, append_metrics, claim, renew_lease, transition
from services.db.session import session_scope
from services.settings import Settings
from services.worker.outputs import register_outputs

log = logging.getLogger("services.worker")


def worker_identity() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def execute(settings: Settings, run_id: str) -> str:
    """Claim, submit, watch, finalise. Returns a short outcome string (the Celery result)."""
    url = settings.database_url
    owner = worker_identity()
    with session_scope(url) as s:
        run = claim(s, run_id, owner, settings.lease_seconds)
        if run is None:
            state = s.scalar(select(Run.state).where(Run.id == run_id))
            return f"skipped: run is {state or 'missing'}"
        try:
            spec = parse_spec(run.kind, run.spec)  # the stored JSON form back to its models, once per claim
        except ValueError as exc:  # pydantic's ValidationError: stored by an older, different server
            transition(s, run_id, "failed", owner=owner, message=f"the stored spec no longer validates: {exc}"[:5000])
            return "failed: spec"
        ctx = RunContext(run_id=run.id, project_id=run.project_id, kind=run.kind, spec=spec,
                         attempt=run.attempt, claim=run.claims,
                         work_dir=Path(settings.artifact_root) / "projects" / run.project_id / "runs" / run.id
                         / f"attempt-{run.attempt}" / f"claim-{run.claims}",
                         artifact_root=settings.artifact_root)
        backend_name = run.backend
        finished = _finished_result(settings, run, ctx)
        if finished is None:
            # Worker losses (the reconciler's requeues) have their own, larger budget: a valid run is
            # not failed because workers were killed under it; other repeated deliveries are poison.
            if run.crashes > settings.max_crashes:
                transition(s, run_id, "failed", owner=owner,
                           message=f"gave up after {run.crashes} worker crashes (XLAM_MAX_CRASHES)")
                return "failed: too many crashes"
            if run.claims - run.crashes > settings.max_claims:
                transition(s, run_id, "failed", owner=owner,
                           message=f"gave up after {run.claims - run.crashes - 1} deliveries (XLAM_MAX_CLAIMS)")
                return "failed: too many deliveries"
    if finished is not None:
        return _finish_from(settings, ctx, owner, finished)
    try:
        backend = get_backend(backend_name)
        ref = backend.submit(ctx)
    except Exception as exc:
        log.exception("submit failed for %s", run_id)
        with session_scope(url) as s:
            transition(s, run_id, "failed", owner=owner, message=f"submit failed: {type(exc).__name__}: {exc}")
        return "failed: submit"
    with session_scope(url) as s:
        started = transition(s, run_id, "running", owner=owner, external_ref=ref, message=f"running on {backend_name}")
    if started is None:  # cancelled while submitting
        backend.cancel(ref)
    return _watch(settings, backend, ref, ctx, owner)


def _watch(settings: Settings, backend: Any, ref: str, ctx: RunContext, owner: str) -> str:
    url = settings.database_url
    cancel_sent = False
    last_beat = 0.0
    status = BackendStatus("running")
    while True:
        status = backend.status(ref)
        lines, points = backend.logs(ref), backend.metrics(ref)
        now = time.monotonic()
        beat = status.terminal or now - last_beat >= settings.heartbeat_seconds
        with session_scope(url) as s:
            append_logs(s, ctx.run_id, ctx.attempt, lines)
            append_metrics(s, ctx.run_id, ctx.attempt, points)
            state = renew_lease(s, ctx.run_id, owner, settings.lease_seconds) if beat else "running"
        if beat:
            last_beat = now
        if state is None:  # lease lost (reconciler took it back): stop our copy of the work
            backend.cancel(ref)
            backend.cleanup(ref)
            return "abandoned: lease lost"
        if state == "cancelling" and not cancel_sent:
            backend.cancel(ref)
            cancel_sent = True
            continue
        if status.terminal:
            break
        time.sleep(settings.poll_seconds)
    if status.phase == "succeeded" and not cancel_sent and not _persist_result(settings, ctx, owner, status):
        backend.cleanup(ref)
        return "abandoned: lease lost"
    outcome = _finalise(settings, ctx, owner, status, cancel_sent)
    backend.cleanup(ref)
    return outcome


def _persist_result(settings: Settings, ctx: RunContext, owner: str, status: BackendStatus) -> bool:
    """Store the finished stage's result (its own commit, while holding the lease) before anything
    else: if this worker dies now, the next delivery finishes from it instead of re-running."""
    result = {"attempt": ctx.attempt, "claim": ctx.claim, "status": "succeeded",
              "outputs": status.outputs.model_dump(mode="json")}
    with session_scope(settings.database_url) as s:
        done = s.execute(update(Run).where(Run.id == ctx.run_id, Run.lease_owner == owner)
                         .values(stage_result=result)).rowcount  # type: ignore[attr-defined]
    return bool(done)


def _finished_result(settings: Settings, run: Run, ctx: RunContext) -> dict[str, Any] | None:
    """A finished stage result of this attempt from an earlier delivery: the one persisted in the
    database, or (local backend) a ``result.json`` an earlier claim wrote before its worker died."""
    stored = run.stage_result
    if isinstance(stored, dict) and stored.get("attempt") == run.attempt and stored.get("status") == "succeeded":
        return stored
    if run.backend != "local" or "://" in settings.artifact_root:
        return None
    for earlier in range(run.claims - 1, 0, -1):
        path = ctx.work_dir.parent / f"claim-{earlier}" / "result.json"
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(result, dict) and result.get("status") == "succeeded":
            return {"attempt": run.attempt, "claim": earlier, "status": "succeeded",
                    "outputs": result.get("outputs") or {}}
    return None


def _finish_from(settings: Settings, ctx: RunContext, owner: str, finished: dict[str, Any]) -> str:
    """Register a finished result without running the stage again (idempotent final write)."""
    with session_scope(settings.database_url) as s:
        moved = transition(s, ctx.run_id, "running", owner=owner, stage_result=finished,
                           message=f"stage already finished in claim {finished.get('claim')}; not re-run")
    if moved is None:
        return "skipped: state changed"
    status = BackendStatus("succeeded", "", RunOutputs.model_validate(finished.get("outputs") or {}))
    return _finalise(settings, ctx, owner, status, cancel_sent=False)


def _finalise(settings: Settings, ctx: RunContext, owner: str, status: BackendStatus, cancel_sent: bool) -> str:
    with session_scope(settings.database_url) as s:
        state = s.scalar(select(Run.state).where(Run.id == ctx.run_id))
        if cancel_sent or state == "cancelling":
            done = transition(s, ctx.run_id, "cancelled", owner=owner, message="cancelled", lease_expires_at=None)
            return "cancelled" if done else f"lost race ({state})"
        if status.phase == "succeeded":
            done = transition(s, ctx.run_id, "succeeded", owner=owner, message="succeeded", lease_expires_at=None)
            if done is None:
                s.rollback()
                return f"lost race ({state})"
            try:
                done.outputs = register_outputs(s, done, status.outputs)
            except Exception as exc:
                log.exception("registering outputs of %s failed", ctx.run_id)
                s.rollback()
                with session_scope(settings.database_url) as s2:
                    transition(s2, ctx.run_id, "failed", owner=owner,
                               message=f"registering outputs failed: {type(exc).__name__}: {exc}")
                return "failed: outputs"
            return "succeeded"
        done = transition(s, ctx.run_id, "failed", owner=owner, message=status.message or status.phase,
                          lease_expires_at=None)
        return "failed" if done else f"lost race ({state})"
