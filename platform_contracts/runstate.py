"""The run-state vocabulary, in one place for every layer above the core.

The one run state machine, shared by every run kind and backend::

    queued ──> submitted ──> running ──> succeeded
      │            │            └──────> failed
      │            └─────────────┬────── (lease expired: back to queued)
      └──> cancelled             v
                             cancelling ──> cancelled

    failed | cancelled ──(retry: attempt + 1)──> queued

- :data:`RUN_STATES`, :data:`TERMINAL`, :data:`ACTIVE`, :data:`ALLOWED_FROM`: the control plane's
  run states (API schema, database check constraint, transitions in ``services.db.runs.transition``,
  the typed client's ``wait_run``).
- :data:`PHASES`, :data:`TERMINAL_PHASES`: the same states as the xlam.ai custom resources'
  ``status.phase`` (capitalised, Kubernetes style), :func:`phase_of`.
- :data:`BackendPhase`, :class:`BackendStatus`: what an execution backend (worker process, custom
  resource, the pipeline's training launchers) reports about the work it runs;
  :data:`BACKEND_PHASE_OF` maps a resource phase to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from platform_contracts.outputs import RunOutputs

RunState = Literal["queued", "submitted", "running", "succeeded", "failed", "cancelling", "cancelled"]
RUN_STATES: tuple[str, ...] = get_args(RunState)
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
ACTIVE = frozenset({"queued", "submitted", "running", "cancelling"})

# target state -> states it may be entered from
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "queued": frozenset({"submitted", "running", "failed", "cancelled"}),  # lease expiry / retry
    "submitted": frozenset({"queued"}),
    "running": frozenset({"submitted"}),
    "succeeded": frozenset({"running"}),
    "failed": frozenset({"queued", "submitted", "running"}),
    "cancelling": frozenset({"submitted", "running"}),
    "cancelled": frozenset({"queued", "cancelling"}),
}


def can_transition(src: str, dst: str) -> bool:
    return src in ALLOWED_FROM.get(dst, frozenset())


def phase_of(state: str) -> str:
    """The custom-resource phase of a run state (``queued`` -> ``Queued``)."""
    if state not in RUN_STATES:
        raise ValueError(f"unknown run state {state!r}")
    return state.capitalize()


ResourcePhase = Literal["Queued", "Submitted", "Running", "Succeeded", "Failed", "Cancelling", "Cancelled"]
PHASES: tuple[str, ...] = get_args(ResourcePhase)  # == tuple(phase_of(s) for s in RUN_STATES), tested
TERMINAL_PHASES = frozenset(phase_of(s) for s in TERMINAL)

BackendPhase = Literal["pending", "running", "succeeded", "failed", "cancelled", "lost"]
BACKEND_TERMINAL = frozenset({"succeeded", "failed", "cancelled", "lost"})
# custom-resource phase -> backend phase (submitted but not started is still pending for the backend)
BACKEND_PHASE_OF: dict[str, BackendPhase] = {
    "Queued": "pending", "Submitted": "pending", "Running": "running", "Cancelling": "running",
    "Succeeded": "succeeded", "Failed": "failed", "Cancelled": "cancelled",
}
# A training launcher's states: the backend phases without "lost" (a lost run has failed).
LaunchPhase = Literal["pending", "running", "succeeded", "failed", "cancelled"]
LAUNCH_TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def launch_phase(phase: BackendPhase) -> LaunchPhase:
    return "failed" if phase == "lost" else phase


@dataclass
class BackendStatus:
    phase: BackendPhase
    message: str = ""
    outputs: RunOutputs = field(default_factory=RunOutputs)
    """On success: the datasets, model versions and evaluation metrics the run produced."""

    @property
    def terminal(self) -> bool:
        return self.phase in BACKEND_TERMINAL
