"""The Celery application: ``celery -A services.worker.app worker -Q <XLAM_TASK_QUEUE>``.

Reliability settings (see docs/CONTROL_PLANE.md): late acks + reject on worker loss (a crashed
worker's task is redelivered), prefetch 1, a visibility timeout set in every place the Redis
transport reads it, and fast restore of unacked messages. Tasks are idempotent: they claim the
run with a conditional UPDATE in the database, which is the source of truth.
"""

from __future__ import annotations

import threading

from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_ready, worker_shutdown

from services.settings import Settings, get_settings

_apps: dict[tuple[str, str, str], Celery] = {}
_lock = threading.Lock()


def make_celery(settings: Settings) -> Celery:
    celery = Celery("xlam", broker=settings.broker_url, backend=settings.result_backend or None,
                    include=["services.worker.tasks"])
    transport = {"visibility_timeout": settings.visibility_timeout}
    if settings.broker_url.startswith(("redis://", "rediss://")):
        transport.update(unacked_restore_interval=10, unacked_restore_throttle=1)
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=False,
        task_ignore_result=True,  # run state lives in the database, not in Celery results
        task_default_queue=settings.task_queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        broker_transport_options=transport,
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout},
        visibility_timeout=settings.visibility_timeout,
        broker_connection_retry_on_startup=True,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_soft_shutdown_timeout=10.0,
        worker_hijack_root_logger=False,
        task_acks_on_failure=True,
    )
    if settings.broker_url.startswith("sqla+"):
        # kombu's SQLAlchemy transport passes its transport options to create_engine(); it has no
        # visibility timeout (a message is deleted when fetched), so the reconciler covers crashes.
        celery.conf.broker_transport_options = {}
    return celery


def get_celery(settings: Settings) -> Celery:
    """One Celery app per (broker, backend, queue) in this process (the API uses it to enqueue)."""
    key = (settings.broker_url, settings.result_backend, settings.task_queue)
    with _lock:
        if key not in _apps:
            _apps[key] = make_celery(settings)
        return _apps[key]


app = get_celery(get_settings())


@setup_logging.connect
def _json_logging(loglevel: object = None, **_: object) -> None:
    """Workers log JSON lines like the API (Celery's own handlers are not installed)."""
    from services.api.middleware import configure_logging

    configure_logging(str(loglevel or get_settings().log_level) if not isinstance(loglevel, int)
                      else __import__("logging").getLevelName(loglevel))


@worker_process_init.connect
def _fresh_engines(**_: object) -> None:
    """Forked pool processes must not share the parent's database connections."""
    from services.db.session import dispose_all

    dispose_all()


_reconciler: dict[str, object] = {}


@worker_ready.connect
def _start_reconciler(**_: object) -> None:
    """Each worker runs the reconciler in a thread (safe to run in several workers at once)."""
    from services.worker.reconciler import ReconcilerThread

    thread = ReconcilerThread(get_settings())
    thread.start()
    _reconciler["thread"] = thread


@worker_shutdown.connect
def _stop_reconciler(**_: object) -> None:
    thread = _reconciler.get("thread")
    if thread is not None:
        thread.stop()  # type: ignore[attr-defined]
