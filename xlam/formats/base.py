"""The output-format protocol: a format instruction, a renderer of gold steps and a parser back.

A format turns one agent :class:`~xlam.records.Step` (its thought and tool calls, or its text
reply) into the assistant text a model is trained to produce, and parses such text back.
``parse(render(step)) == normalize(step)``: :meth:`OutputFormat.normalize` drops what a format
cannot carry (observations, user follow-ups and call ids are never part of model output; some
formats carry no thought).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from xlam.records import Step, ToolCall


class FormatParseError(ValueError):
    """Text is not valid output in the requested format."""


class FormatRenderError(ValueError):
    """A step cannot be expressed in a format (e.g. a tool name that is not a Python identifier)."""


class OutputFormat(ABC):
    """One output format. Subclasses set ``name``, ``instruction`` and the carry flags."""

    name: ClassVar[str]
    instruction: ClassVar[str]
    #: Whether the thought of a step with calls survives a round trip.
    carries_thought: ClassVar[bool] = False
    #: Whether the thought of a no-call (reply) step survives a round trip.
    carries_reply_thought: ClassVar[bool] = False

    @abstractmethod
    def render(self, step: Step) -> str:
        """The gold assistant text for ``step``."""

    @abstractmethod
    def parse(self, text: str) -> Step:
        """Parse assistant text; raises :class:`FormatParseError` on malformed output."""

    def parse_calls(self, text: str) -> list[ToolCall]:
        """Only the tool calls of :meth:`parse`."""
        return self.parse(text).tool_calls

    def normalize(self, step: Step) -> Step:
        """The part of ``step`` this format carries (what ``parse(render(step))`` returns)."""
        calls = [ToolCall(name=c.name, arguments=c.arguments) for c in step.tool_calls]
        if calls:
            return Step(thought=step.thought if self.carries_thought else "", tool_calls=calls)
        return Step(thought=step.thought if self.carries_reply_thought else "", response=step.response)

    def __repr__(self) -> str:
        return f"<OutputFormat {self.name}>"


def dumps(value: Any) -> str:
    """Compact, unicode-preserving JSON used by the JSON-based formats."""
    return json.dumps(value, ensure_ascii=False)


def call_to_json(call: ToolCall) -> dict[str, Any]:
    return {"name": call.name, "arguments": call.arguments}


def call_from_json(obj: Any, *, where: str = "call") -> ToolCall:
    """A call from ``{"name", "arguments"}`` (also OpenAI ``{"function": {...}}``, ``parameters``
    for ``arguments``, and arguments given as a JSON string)."""
    if not isinstance(obj, dict):
        raise FormatParseError(f"{where}: expected an object, got {type(obj).__name__}")
    if "function" in obj and isinstance(obj["function"], dict):
        obj = obj["function"]
    name = obj.get("name")
    if name is None and isinstance(obj.get("function"), str):  # BFCL JSON: {"function", "parameters"}
        name = obj["function"]
    if not isinstance(name, str) or not name:
        raise FormatParseError(f"{where}: missing or empty 'name'")
    args: Any = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            raise FormatParseError(f"{where}: 'arguments' is a string but not JSON: {exc}") from exc
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise FormatParseError(f"{where}: 'arguments' must be an object, got {type(args).__name__}")
    return ToolCall(name=name, arguments=args)


def calls_from_json_list(value: Any, *, where: str = "tool_calls") -> list[ToolCall]:
    if not isinstance(value, list):
        raise FormatParseError(f"{where}: expected a list, got {type(value).__name__}")
    return [call_from_json(item, where=f"{where}[{i}]") for i, item in enumerate(value)]


def load_json(text: str, *, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatParseError(f"{what}: invalid JSON: {exc}") from exc

