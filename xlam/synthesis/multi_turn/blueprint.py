"""Blueprint data types: a task (one user goal turn) with its ground-truth calls and the state
change it must cause, and the state-diff machinery the semantic check uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlam.records import ToolCall


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


CHANGED = _Marker("CHANGED")  # the value at the path must differ from before
ABSENT = _Marker("ABSENT")  # the path must be gone afterwards


@dataclass(frozen=True)
class Expect:
    """One expected effect of a turn on the state: ``path`` ends equal to ``value`` (or CHANGED / ABSENT).
    Changes below ``path`` are covered by it; any change not covered by some expectation is unexpected."""

    path: tuple[str, ...]
    value: Any = CHANGED


@dataclass(frozen=True)
class Carry:
    """A value a turn reads in one call and passes to a later call (mixed dialogues: from one environment
    into another): ``observation[step][call]`` at ``path`` must equal argument ``arg`` of call
    ``calls[to_step][to_call]``. The semantic check verifies it on the executed calls."""

    step: int
    call: int
    path: tuple[str | int, ...]
    to_step: int
    to_call: int
    arg: str


def dig(value: Any, path: tuple[str | int, ...]) -> Any:
    """``value[path[0]][path[1]]...`` (ABSENT where it is missing)."""
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return ABSENT
    return value


@dataclass
class Task:
    """One user goal turn. ``say`` are request phrasings with ``{slot}`` placeholders; ``calls`` are the
    ground-truth steps (each a list of parallel calls); ``expects`` the state change they must make.

    A clarification variant omits ``omit`` from the first request (``say_without``); the agent asks
    ``ask`` and the user answers with one of ``supply`` (``{value}``)."""

    kind: str
    say: list[str]
    slots: dict[str, Any]
    calls: list[list[ToolCall]]
    expects: list[Expect] | None = field(default_factory=list)  # None: effect not declared (not checked)
    answer: Callable[[list[Any]], str] = lambda obs: "Done."
    omit: str | None = None
    say_without: list[str] = field(default_factory=list)
    ask: str = ""
    supply: list[str] = field(default_factory=lambda: ["{value}.", "It's {value}.", "Sure: {value}.",
                                                       "Oh right, {value}.", "Use {value}."])
    long_context: bool = False
    keep: list[str] = field(default_factory=list)  # values an LLM rewrite must keep (given blueprints)
    env: str = ""  # mixed dialogues: the component(s) this turn acts on ("bank", or "filesystem>bank" for a bridge)
    carries: list[Carry] = field(default_factory=list)  # values carried from one call into a later one

    def carry_issues(self, observations: list[list[Any]]) -> list[str]:
        """Carried values that the executed calls did not pass on (``wrong_carried_value:call.arg``)."""
        issues = []
        for c in self.carries:
            source = dig(observations[c.step][c.call], c.path) if c.step < len(observations) else ABSENT
            target = self.calls[c.to_step][c.to_call]
            if target.arguments.get(c.arg, ABSENT) != source:
                read = self.calls[c.step][c.call].name
                issues.append(f"wrong_carried_value:{target.name}.{c.arg} (expected {source!r} read by {read}, "
                              f"got {target.arguments.get(c.arg)!r})")
        return issues

    @property
    def writes(self) -> bool:
        return bool(self.expects)

    def tool_names(self) -> list[str]:
        return list(dict.fromkeys(c.name for group in self.calls for c in group))


def flatten(state: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Leaves of a JSON state keyed by their dict path (lists are leaves)."""
    if isinstance(state, dict) and state:
        out: dict[tuple[str, ...], Any] = {}
        for key, value in state.items():
            out.update(flatten(value, (*prefix, str(key))))
        return out
    return {prefix: state}


def get_path(state: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(state, dict) or key not in state:
            return ABSENT
        state = state[key]
    return state


def state_diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ...]]:
    """Leaf paths whose value differs (added, removed or changed), sorted."""
    a, b = flatten(before), flatten(after)
    return sorted(p for p in set(a) | set(b) if a.get(p, ABSENT) != b.get(p, ABSENT)
                  or (p in a) != (p in b))


def check_effects(before: dict[str, Any], after: dict[str, Any], expects: list[Expect]) -> list[str]:
    """Issues of one turn's state change against its expectations (empty: as the goal says)."""
    issues: list[str] = []
    for exp in expects:
        old, new = get_path(before, exp.path), get_path(after, exp.path)
        where = "/".join(exp.path)
        if exp.value is CHANGED:
            if old == new:
                issues.append(f"missing_change:{where}")
        elif exp.value is ABSENT:
            if new is not ABSENT:
                issues.append(f"not_removed:{where}")
        elif new != exp.value:
            issues.append(f"wrong_value:{where}")
        elif old == new:
            issues.append(f"missing_change:{where}")
    for path in state_diff(before, after):
        if not any(path[: len(e.path)] == e.path for e in expects):
            issues.append(f"unexpected_change:{'/'.join(path)}")
    return issues


def call_string(call: ToolCall) -> str:
    """BFCL's ground-truth form: ``name(arg='value', n=3)``."""
    args = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
    return f"{call.name}({args})"


__all__ = ["ABSENT", "CHANGED", "Carry", "Expect", "Task", "call_string", "check_effects", "dig", "flatten", "get_path",
           "state_diff"]
