"""Send run tasks to the broker. Called only after the run row is committed."""

from __future__ import annotations

import logging

from services.settings import Settings

log = logging.getLogger("services.enqueue")
EXECUTE_TASK = "xlam.execute_run"


def enqueue_run(settings: Settings, run_id: str, *, countdown: float = 0.0) -> bool:
    """Best effort: a failure leaves the run queued for the reconciler to re-enqueue.

    ``countdown`` delays the delivery (backoff after a worker crash)."""
    from services.worker.app import get_celery

    try:
        # ignore_result: the database is the source of truth; no result subscription per send
        get_celery(settings).send_task(EXECUTE_TASK, args=[run_id], queue=settings.task_queue, task_id=run_id,
                                       ignore_result=True, countdown=countdown or None)
        return True
    except Exception as exc:  # broker down: the reconciler re-enqueues queued runs
        log.warning("enqueue failed for %s: %s", run_id, type(exc).__name__)
        return False


def revoke_run(settings: Settings, run_id: str) -> None:
    from services.worker.app import get_celery

    try:
        get_celery(settings).control.revoke(run_id, terminate=False)
    except Exception as exc:
        log.warning("revoke failed for %s: %s", run_id, type(exc).__name__)
