"""The run-state vocabulary shared by every layer above the core.

``BackendPhase`` / :class:`BackendStatus`: what an execution backend (a worker process, a
Kubernetes custom resource, a pipeline launcher) reports about the work it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BackendPhase = Literal["pending", "running", "succeeded", "failed", "cancelled", "lost"]
BACKEND_TERMINAL = frozenset({"succeeded", "failed", "cancelled", "lost"})


@dataclass
class BackendStatus:
    phase: BackendPhase
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    """On success: ``{"datasets": [{"name", "uri", "inputs"}], "models": [{"name", "artifact_uri",
    "metrics", "card", "inputs"}], "evaluation": {...}}``."""

    @property
    def terminal(self) -> bool:
        return self.phase in BACKEND_TERMINAL
