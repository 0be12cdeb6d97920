"""Several environments side by side: one state per environment, the union of their tools.

A mixed dialogue (``MultiTurnConfig.mixed_rate``) runs against a :class:`MixedEnvironment`, named by
its components joined with ``+`` (``"bank+filesystem"``). Its state is ``{component: state}``, so a
state diff names the component in its path (``bank/accounts/ACC-1234/balance``), and its hash is
the content hash of that dict. Tool names stay unique: a name that two components both define is
exposed as ``<component>_<name>`` for each of them (none of the four built-in environments clash
today); :meth:`MixedEnvironment.route` maps an exposed name back to its component and method.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from xlam.envs.base import CallResult, EnvConfigError, Environment
from xlam.records import Tool, ToolCall, content_hash

SEPARATOR = "+"


def exposed_names(classes: Sequence[type[Environment]]) -> dict[tuple[str, str], str]:
    """``(component, method) -> tool name`` offered to the agent (namespaced where two components clash)."""
    counts = Counter(n for cls in classes for n in cls.tool_names())
    return {(cls.name, n): (f"{cls.name}_{n}" if counts[n] > 1 else n) for cls in classes for n in cls.tool_names()}


class MixedEnvironment:
    """Components (environment classes, distinct names) with their states; calls go to the owner of the tool."""

    def __init__(self, classes: Sequence[type[Environment]], state: dict[str, Any] | None = None) -> None:
        names = [cls.name for cls in classes]
        if len(classes) < 2 or len(set(names)) != len(names):
            raise EnvConfigError(f"a mixed environment needs >= 2 distinct components, got {names}")
        state = state or {}
        unknown = sorted(set(state) - set(names))
        if unknown:
            raise EnvConfigError(f"{SEPARATOR.join(names)}: initial state for {unknown[0]!r}, which is not a component")
        self.classes = list(classes)
        self.name = SEPARATOR.join(names)
        self.components: dict[str, Environment] = {cls.name: cls(state.get(cls.name)) for cls in classes}
        self.exposed = exposed_names(classes)
        self.routes = {tool: key for key, tool in self.exposed.items()}

    @staticmethod
    def tools_of(classes: Sequence[type[Environment]]) -> list[Tool]:
        """The union of the components' tools, in component order, namespaced where names clash."""
        exposed = exposed_names(classes)
        out = []
        for cls in classes:
            for spec in cls.tools():
                name = exposed[(cls.name, spec.name)]
                out.append(spec if name == spec.name else spec.model_copy(update={"name": name}))
        return out

    def tools(self) -> list[Tool]:
        return self.tools_of(self.classes)

    def tool_names(self) -> list[str]:
        return list(self.routes)

    def route(self, tool_name: str) -> tuple[str, str] | None:
        """``(component, method)`` of an exposed tool name (None if no component has it)."""
        return self.routes.get(tool_name)

    def execute(self, call: ToolCall) -> CallResult:
        target = self.route(call.name)
        if target is None:
            return CallResult(False, error="undefined_function", message=f"no tool named {call.name!r}")
        component, method = target
        return self.components[component].execute(ToolCall(name=method, arguments=call.arguments))

    def state_dict(self) -> dict[str, Any]:
        return {name: env.state_dict() for name, env in self.components.items()}

    def state_hash(self) -> str:
        return content_hash(self.state_dict())


__all__ = ["SEPARATOR", "MixedEnvironment", "exposed_names"]
