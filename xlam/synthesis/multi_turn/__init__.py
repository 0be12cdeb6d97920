"""APIGen-MT-style multi-turn synthesis over executable, stateful environments (see docs/SYNTHESIS.md).

    from xlam.synthesis.multi_turn import MultiTurnConfig, run_multi_turn_synthesis
    report = run_multi_turn_synthesis("data/mt", MultiTurnConfig(n=2000), rejects_uri="data/mt-rejects")

Phase 1 samples task blueprints (goal + ground-truth calls) and keeps those whose calls run and
change the state as the goal says; phase 2 simulates the dialogue and keeps it if replaying its
calls reaches the blueprint's final state.
"""

from __future__ import annotations

from typing import Any

from xlam.synthesis.multi_turn.config import ALL_ENVIRONMENTS, EnvironmentSpec, MultiTurnConfig

_LAZY = {
    "run_multi_turn_synthesis": "xlam.synthesis.multi_turn.runner",
    "funnel_table": "xlam.synthesis.multi_turn.runner",
    "MultiTurnSynthesizer": "xlam.synthesis.multi_turn.runner",
    "load_blueprints": "xlam.synthesis.multi_turn.user_blueprints",
    "check_trajectory": "xlam.synthesis.multi_turn.trajectories",
    "replay_issues": "xlam.synthesis.multi_turn.trajectories",
}


def __getattr__(name: str) -> Any:  # imported lazily: xlam.synthesis.config imports this package
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


__all__ = ["ALL_ENVIRONMENTS", "EnvironmentSpec", "MultiTurnConfig", *_LAZY]
