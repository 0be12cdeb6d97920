"""Celery worker: the app (``services.worker.app``) and the run tasks."""
