"""Drive one run through the state machine on its backend (idempotent; lease-protected)."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

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
        if run.claims > settings.max_claims:
            transition(s, run_id, "failed", owner=owner, message=f"gave up after {run.claims - 1} deliveries")
            return "failed: too many deliveries"
        ctx = RunContext(run_id=run.id, project_id=run.project_id, kind=run.kind, spec=dict(run.spec),
                         attempt=run.attempt, claim=run.claims,
                         work_dir=Path(settings.artifact_root) / "projects" / run.project_id / "runs" / run.id
                         / f"attempt-{run.attempt}" / f"claim-{run.claims}",
                         artifact_root=settings.artifact_root)
        backend_name = run.backend
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
    outcome = _finalise(settings, ctx, owner, status, cancel_sent)
    backend.cleanup(ref)
    return outcome


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
