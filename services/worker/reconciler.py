"""The reconciler: re-enqueue runs stuck in a state (the database is the source of truth).

- ``submitted``/``running`` with an expired lease (the worker died): back to ``queued`` with one more
  crash counted, enqueued after a backoff (crashes have their own budget, ``XLAM_MAX_CRASHES``).
- ``cancelling`` with an expired lease: ``cancelled`` (nothing runs it any more).
- ``queued`` for longer than the grace period (message lost, broker was down): enqueue again.

Every move is a conditional transition, so several reconcilers (one per worker) are safe.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import update

from services.db.base import utcnow
from services.db.models import Run
from services.db.runs import expired_leases, stale_queued, transition
from services.db.session import session_scope
from services.settings import Settings
from services.worker.enqueue import enqueue_run

log = logging.getLogger("services.reconciler")


def crash_backoff(settings: Settings, crashes: int) -> float:
    """Seconds to wait before the next delivery after the ``crashes``-th worker loss (doubling, <= 60 s)."""
    return min(60.0, float(settings.crash_backoff_seconds) * 2.0 ** max(0, crashes - 1))


def reconcile_once(settings: Settings) -> dict[str, int]:
    now = utcnow()
    requeue: list[str] = []
    backoff: dict[str, float] = {}
    counts = {"requeued": 0, "cancelled": 0, "reenqueued": 0}
    with session_scope(settings.database_url) as s:
        for run in expired_leases(s, now):
            if run.state == "cancelling":
                if transition(s, run.id, "cancelled", from_states=["cancelling"], message="cancelled (worker gone)"):
                    counts["cancelled"] += 1
            elif transition(s, run.id, "queued", from_states=["submitted", "running"], lease_owner=None,
                            lease_expires_at=None, crashes=run.crashes + 1,
                            message=f"lease of {run.lease_owner} expired (worker lost, crash {run.crashes + 1}); requeued"):
                backoff[run.id] = crash_backoff(settings, run.crashes + 1)
                requeue.append(run.id)
                counts["requeued"] += 1
        grace = now - timedelta(seconds=settings.queued_grace_seconds)
        for run in stale_queued(s, grace):
            s.execute(update(Run).where(Run.id == run.id, Run.state == "queued").values(updated_at=now))
            requeue.append(run.id)
            counts["reenqueued"] += 1
    for run_id in requeue:  # after commit
        enqueue_run(settings, run_id, countdown=backoff.get(run_id, 0.0))
    if any(counts.values()):
        log.info("reconciled", extra={"fields": counts})
    return counts


class ReconcilerThread(threading.Thread):
    def __init__(self, settings: Settings) -> None:
        super().__init__(name="xlam-reconciler", daemon=True)
        self.settings = settings
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.settings.reconcile_seconds):
            try:
                reconcile_once(self.settings)
            except Exception:
                log.exception("reconcile pass failed")

    def stop(self) -> None:
        self._stop_event.set()
