"""Run repository: the conditional state transitions, events, logs and metrics."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from platform_contracts.runstate import ALLOWED_FROM
from services.db.base import utcnow
from services.db.models import Run, RunEvent, RunLog, RunMetric

_TIMESTAMP_FOR = {"submitted": "submitted_at", "running": "started_at", "succeeded": "finished_at",
                  "failed": "finished_at", "cancelled": "finished_at"}


def transition(
    session: Session,
    run_id: str,
    to: str,
    *,
    from_states: Iterable[str] | None = None,
    owner: str | None = None,
    message: str = "",
    **fields: Any,
) -> Run | None:
    """Move ``run_id`` to ``to`` if it is in an allowed source state; return the run or None.

    ``from_states`` narrows the allowed sources; ``owner`` additionally requires the caller to
    hold the run's lease. The UPDATE is conditional, so concurrent callers cannot both win.
    """
    allowed = ALLOWED_FROM[to] if from_states is None else ALLOWED_FROM[to] & frozenset(from_states)
    now = utcnow()
    current = session.execute(select(Run.state, Run.attempt).where(Run.id == run_id)).first()
    if current is None or current.state not in allowed:
        return None
    values: dict[str, Any] = {"state": to, "updated_at": now, **fields}
    if to in _TIMESTAMP_FOR:
        values.setdefault(_TIMESTAMP_FOR[to], now)
    if message:
        values["message"] = message[:10000]
    stmt = update(Run).where(Run.id == run_id, Run.state == current.state)
    if owner is not None:
        stmt = stmt.where(Run.lease_owner == owner)
    result = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.execute(
        insert(RunEvent).values(
            run_id=run_id, attempt=fields.get("attempt", current.attempt), from_state=current.state,
            to_state=to, message=message[:10000], at=now,
        )
    )
    run = session.get(Run, run_id, populate_existing=True)
    return run


def claim(session: Session, run_id: str, owner: str, lease_seconds: float) -> Run | None:
    """queued -> submitted with a lease for ``owner``; None if someone else has it or it is done."""
    expires = utcnow() + timedelta(seconds=lease_seconds)
    run = session.get(Run, run_id)
    if run is None:
        return None
    return transition(
        session, run_id, "submitted", owner=None, lease_owner=owner, lease_expires_at=expires,
        claims=run.claims + 1, message="claimed by worker",
    )


def renew_lease(session: Session, run_id: str, owner: str, lease_seconds: float) -> str | None:
    """Extend the lease; returns the run's state, or None if the lease was lost."""
    expires = utcnow() + timedelta(seconds=lease_seconds)
    res = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.lease_owner == owner)
        .values(lease_expires_at=expires)
        .returning(Run.state)
    ).first()
    return None if res is None else str(res[0])


def expired_leases(session: Session, now: datetime) -> list[Run]:
    return list(
        session.scalars(
            select(Run).where(
                Run.state.in_(("submitted", "running", "cancelling")), Run.lease_expires_at < now
            ).with_for_update(skip_locked=True)
        )
    )


def stale_queued(session: Session, older_than: datetime) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.state == "queued", Run.updated_at < older_than)))


def append_logs(session: Session, run_id: str, attempt: int, lines: list[str]) -> None:
    if lines:
        now = utcnow()
        session.execute(
            insert(RunLog), [{"run_id": run_id, "attempt": attempt, "line": ln[:8000], "at": now} for ln in lines]
        )


def append_metrics(session: Session, run_id: str, attempt: int, points: list[dict[str, Any]]) -> None:
    """Store metric points; points with NaN or infinite values are dropped (documented: the API's JSON
    cannot carry them, and a non-finite loss shows as the run's failure, not as a data point)."""
    rows = []
    for p in points:
        try:
            value = float(p["value"])
            if not math.isfinite(value):
                continue
            rows.append({"run_id": run_id, "attempt": attempt, "key": str(p["key"])[:128],
                         "step": int(p.get("step", 0)), "value": value, "at": utcnow()})
        except (KeyError, TypeError, ValueError, OverflowError):
            continue
    if rows:
        session.execute(insert(RunMetric), rows)
