"""The ``Backend`` interface: submit a run, sync its status, stream logs/metrics, cancel it.

The worker (``services.worker.executor``) drives every backend through the same loop::

    ref = backend.submit(ctx)            # idempotent per (run id, attempt, claim)
    while not (st := backend.status(ref)).terminal:
        backend.logs(ref) / backend.metrics(ref) -> stored; cancel flag -> backend.cancel(ref)
    st.outputs -> registered datasets / model versions

A Kubernetes backend creates a custom resource named after the run (``AlreadyExists`` = already
submitted), maps the resource's status to :class:`BackendStatus`, and deletes it on cancel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_contracts.runspecs import AnySpec
from platform_contracts.runstate import BackendPhase as Phase
from platform_contracts.runstate import BackendStatus


@dataclass
class RunContext:
    """Everything a backend needs to start one claim of one attempt of a run."""

    run_id: str
    project_id: str
    kind: str
    spec: AnySpec  # the kind's envelope of core config models (platform_contracts.runspecs)
    attempt: int
    claim: int
    work_dir: Path
    artifact_root: str

    @property
    def name(self) -> str:
        """A stable, DNS-safe name for external objects (Kubernetes resources)."""
        return f"{self.run_id.replace('_', '-')}-a{self.attempt}"


__all__ = ["Backend", "BackendStatus", "Phase", "RunContext"]


class Backend(ABC):
    name: str = "base"

    @abstractmethod
    def submit(self, ctx: RunContext) -> str:
        """Start the work; return an external reference. Must be idempotent for the same ``ctx``."""

    @abstractmethod
    def status(self, ref: str) -> BackendStatus:
        """Current phase (and outputs once succeeded)."""

    @abstractmethod
    def cancel(self, ref: str) -> None:
        """Stop the work (idempotent); ``status`` reports ``cancelled`` once it is stopped."""

    @abstractmethod
    def logs(self, ref: str) -> list[str]:
        """New log lines since the previous call."""

    def metrics(self, ref: str) -> list[dict[str, Any]]:
        """New metric points ``{"key", "step", "value"}`` since the previous call."""
        return []

    def cleanup(self, ref: str) -> None:  # noqa: B027 - optional hook
        """Release resources after the run is final."""
