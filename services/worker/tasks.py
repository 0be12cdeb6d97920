"""Celery tasks. Thin: the work is in :mod:`services.worker.executor`."""

from __future__ import annotations

from services.settings import get_settings
from services.worker.app import app
from services.worker.enqueue import EXECUTE_TASK


@app.task(name=EXECUTE_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_run(run_id: str) -> str:
    """Claim ``run_id`` (conditional UPDATE) and drive it to a final state; a no-op for duplicates."""
    from services.worker.executor import execute

    return execute(get_settings(), run_id)


@app.task(name="xlam.reconcile")
def reconcile() -> dict[str, int]:
    """One reconciliation pass (also scheduled by ``celery beat`` where beat runs)."""
    from services.worker.reconciler import reconcile_once

    return reconcile_once(get_settings())
