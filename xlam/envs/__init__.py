"""Executable, stateful environments for multi-turn synthesis (our own; never BFCL's test classes).

Each environment is a class with typed, documented methods (its tools, harvested by
``xlam.tools.harvest``), a serializable pydantic state and seeded initial states::

    from xlam.envs import get_environment
    Bank = get_environment("bank")
    env = Bank(Bank.initial_state(seed=3))
    env.execute(ToolCall(name="get_balance", arguments={"account_number": "ACC-1234"}))
"""

from __future__ import annotations

from typing import Any

from xlam.envs.bank import Bank
from xlam.envs.base import CallResult, EnvConfigError, Environment, ToolError, tool
from xlam.envs.calendar import Calendar
from xlam.envs.filesystem import FileSystem
from xlam.envs.mixed import SEPARATOR, MixedEnvironment
from xlam.envs.retail import Retail
from xlam.records import Tool

ENVIRONMENTS: dict[str, type[Environment]] = {cls.name: cls for cls in (FileSystem, Retail, Calendar, Bank)}


def get_environment(name: str) -> type[Environment]:
    try:
        return ENVIRONMENTS[name]
    except KeyError:
        raise EnvConfigError(f"unknown environment {name!r}; known: {', '.join(sorted(ENVIRONMENTS))}") from None


def load_environment(name: str, state: dict[str, Any] | None = None, *, seed: int | None = None) -> Environment:
    """An environment instance from a given state, or from the seeded initial state."""
    cls = get_environment(name)
    if state is None:
        state = cls.initial_state(seed or 0)
    return cls(state)


def open_environment(name: str, state: dict[str, Any] | None = None) -> Environment | MixedEnvironment:
    """An instance from a record's ``environment.name`` and ``initial_state``: one environment, or a
    mixed one for a name like ``bank+filesystem`` (state keyed by component)."""
    if SEPARATOR in name:
        return MixedEnvironment([get_environment(n) for n in name.split(SEPARATOR)], state)
    return get_environment(name)(state)


def environment_tools(name: str) -> list[Tool]:
    """The tools of an environment, or the union of a mixed one's components' tools."""
    if SEPARATOR in name:
        return MixedEnvironment.tools_of([get_environment(n) for n in name.split(SEPARATOR)])
    return get_environment(name).tools()


__all__ = ["ENVIRONMENTS", "Bank", "Calendar", "CallResult", "EnvConfigError", "Environment", "FileSystem",
           "MixedEnvironment", "Retail", "ToolError", "environment_tools", "get_environment", "load_environment",
           "open_environment", "tool"]
