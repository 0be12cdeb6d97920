"""Execution backends: where a run's work happens (local worker processes, Kubernetes)."""

from __future__ import annotations

import importlib

from services.backends.base import Backend, BackendStatus, RunContext

BACKENDS = {"local": "services.backends.local:LocalBackend", "kubernetes": "services.backends.kubernetes:KubernetesBackend"}


def get_backend(name: str) -> Backend:
    """Instantiate the backend called ``name`` (imported lazily)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)()  # type: ignore[no-any-return]


__all__ = ["BACKENDS", "Backend", "BackendStatus", "RunContext", "get_backend"]
