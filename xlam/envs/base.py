"""Executable, stateful environments: the base class, the tool harvest and the call runner.

An environment is a Python class whose public methods marked with :func:`tool` are the agent's
actions. Their JSON Schemas come from the signatures, type hints and docstrings through
:func:`xlam.tools.harvest.tool_from_callable` (the same path as the single-turn catalog). The
whole state is one pydantic model (``State``), so it serializes to JSON, hashes stably and loads
back; :meth:`Environment.initial_state` draws a seeded initial state.

A call that the environment refuses (unknown id, insufficient funds, a conflict) raises
:class:`ToolError`; :meth:`Environment.execute` turns every failure into an :class:`CallResult`
with ``ok=False`` and the state left unchanged (methods validate before they mutate).
"""

from __future__ import annotations

import copy
import functools
import random
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError

from xlam.records import Tool, ToolCall, content_hash

F = TypeVar("F", bound=Callable[..., Any])


class ToolError(Exception):
    """The environment refused a call (the agent sees the message as the call's result)."""


class EnvConfigError(ValueError):
    """A malformed environment configuration (unknown environment, invalid initial state)."""


def tool(fn: F) -> F:
    """Mark an environment method as an agent action (harvested into a :class:`Tool`)."""
    fn._xlam_tool = True  # type: ignore[attr-defined]
    return fn


@dataclass
class CallResult:
    """What one call did: its value or its error class and message."""

    ok: bool
    value: Any = None
    error: str = ""
    message: str = ""

    def observation(self) -> Any:
        return self.value if self.ok else {"error": self.error, "message": self.message}


class Environment:
    """Base class. Subclasses set ``name``, ``description``, ``State`` and mark actions with ``@tool``."""

    name: ClassVar[str]
    description: ClassVar[str]
    State: ClassVar[type[BaseModel]]

    def __init__(self, state: BaseModel | dict[str, Any] | None = None) -> None:
        if state is None:
            self.state = self.State()
        elif isinstance(state, BaseModel):
            self.state = self.State.model_validate(state.model_dump(mode="json"))
        else:
            try:
                self.state = self.State.model_validate(copy.deepcopy(state))
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                raise EnvConfigError(f"{self.name}: invalid initial state at {where or '(root)'}: {err['msg']}") from exc

    # --- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The state as plain JSON values."""
        return self.state.model_dump(mode="json")

    def state_hash(self) -> str:
        return content_hash(self.state_dict())

    @classmethod
    def initial_state(cls, seed: int, *, long_context: bool = False) -> dict[str, Any]:
        """A seeded initial state; ``long_context`` adds many filler entries (long observations)."""
        return cls.sample_state(random.Random(f"{cls.name}:{seed}"), long_context=long_context)

    @classmethod
    def sample_state(cls, rng: random.Random, *, long_context: bool = False) -> dict[str, Any]:
        raise NotImplementedError

    # --- tools -------------------------------------------------------------------------------
    @classmethod
    def tool_names(cls) -> list[str]:
        """Names of the actions, in definition order (base classes first)."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if getattr(value, "_xlam_tool", False) and not attr.startswith("_") and attr not in names:
                    names.append(attr)
        return names

    @classmethod
    def tools(cls) -> list[Tool]:
        """The actions as tool specs (harvested from signatures, type hints and docstrings)."""
        return list(_harvest(cls))  # type: ignore[arg-type]  # classes are hashable

    def execute(self, call: ToolCall) -> CallResult:
        """Run one call. Unknown tools, bad arguments and refusals give ``ok=False``."""
        if call.name not in self.tool_names():
            return CallResult(False, error="undefined_function", message=f"no tool named {call.name!r}")
        method = getattr(self, call.name)
        try:
            value = method(**call.arguments)
        except ToolError as exc:
            return CallResult(False, error="ToolError", message=str(exc))
        except TypeError as exc:  # missing/unexpected arguments
            return CallResult(False, error="bad_arguments", message=str(exc))
        except (ValueError, KeyError) as exc:
            return CallResult(False, error=type(exc).__name__, message=str(exc))
        return CallResult(True, value=_jsonable(value))


@functools.cache
def _harvest(cls: type[Environment]) -> tuple[Tool, ...]:
    from xlam.tools.harvest import tool_from_callable

    probe = object.__new__(cls)  # bound methods: ``self`` is not a parameter
    return tuple(tool_from_callable(types.MethodType(getattr(cls, n), probe)) for n in cls.tool_names())


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


__all__ = ["CallResult", "EnvConfigError", "Environment", "ToolError", "tool"]
