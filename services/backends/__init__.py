"""Execution backends: where a run's work happens (local worker processes, Kubernetes)."""

from __future__ import annotations

from services.backends.base import Backend, BackendStatus, RunContext

BACKENDS = ("local", "kubernetes")


def get_backend(name: str) -> Backend:
    """Instantiate the backend called ``name`` (imported on use: the kubernetes one needs the
    Kubernetes client, which a local-only deployment does not install)."""
    if name == "local":
        from services.backends.local import LocalBackend

        return LocalBackend()
    if name == "kubernetes":
        from services.backends.kubernetes import KubernetesBackend

        return KubernetesBackend()
    raise ValueError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")


__all__ = ["BACKENDS", "Backend", "BackendStatus", "RunContext", "get_backend"]
