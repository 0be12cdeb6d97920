"""The one run state machine, shared by every run kind and backend.

::

    queued ──> submitted ──> running ──> succeeded
      │            │            └──────> failed
      │            └─────────────┬────── (lease expired: back to queued)
      └──> cancelled             v
                             cancelling ──> cancelled

    failed | cancelled ──(retry: attempt + 1)──> queued

Transitions are enforced in one place: :func:`services.db.runs.transition`, a conditional
``UPDATE ... WHERE state IN (allowed sources)``.
"""

from __future__ import annotations

RUN_STATES = ("queued", "submitted", "running", "succeeded", "failed", "cancelling", "cancelled")
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
