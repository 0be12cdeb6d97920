"""APIGen / ``Salesforce/xlam-function-calling-60k`` rows.

Each row holds the query and two JSON *strings*: the tools (xLAM-v1 flat form: ``parameters``
maps argument names straight to ``{"type": "str, optional", "description", "default"}``) and the
answers (the calls, all made in one parallel step). Sample row::

    {"id": 7,
     "query": "What is the weather in Paris and in Rome?",
     "tools": "[{\\"name\\": \\"get_weather\\", \\"description\\": \\"Current weather of a city.\\",
                 \\"parameters\\": {\\"city\\": {\\"type\\": \\"str\\", \\"description\\": \\"City name.\\"},
                                   \\"unit\\": {\\"type\\": \\"str, optional\\", \\"default\\": \\"celsius\\"}}}]",
     "answers": "[{\\"name\\": \\"get_weather\\", \\"arguments\\": {\\"city\\": \\"Paris\\"}},
                  {\\"name\\": \\"get_weather\\", \\"arguments\\": {\\"city\\": \\"Rome\\"}}]"}

becomes a record with ``tools`` in JSON Schema (the flat type strings kept in ``x-xlam-type``),
``query``, and one step whose ``tool_calls`` are the answers. ``export`` writes the row back
(for records with at most one step of calls and nothing the row cannot carry).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import orjson

from xlam.converters.base import Converter, ExportError, FieldError, SourceItem, json_field, require
from xlam.converters.registry import register
from xlam.records import Record, Step, Tool, ToolCall
from xlam.records.tool import xlam_v1_tool_fields


def call_dicts(value: Any, path: str) -> list[dict[str, Any]]:
    """``[{"name", "arguments"}]`` (arguments a dict or a JSON string), checked, as plain dicts."""
    if not isinstance(value, list):
        raise FieldError(path, f"expected a list of calls, got {type(value).__name__}")
    calls = []
    for i, raw in enumerate(value):
        # Field paths are formatted only on error (f-strings per call are measurable on 60k rows).
        name = raw.get("name") if type(raw) is dict else None
        if type(name) is not str:
            name = require(raw, "name", f"{path}[{i}]", str)
        args = raw.get("arguments", {})
        if type(args) is not dict:
            args = json_field(args, f"{path}[{i}].arguments")
            if not isinstance(args, dict):
                raise FieldError(f"{path}[{i}].arguments", f"expected an object, got {type(args).__name__}")
        calls.append({"name": name, "arguments": args})
    return calls


def parse_calls(value: Any, path: str) -> list[ToolCall]:
    """:func:`call_dicts` as :class:`ToolCall` objects."""
    return [ToolCall(**call) for call in call_dicts(value, path)]


@lru_cache(maxsize=8192)
def _converted_tools(raw: str) -> bytes:
    """JSON of the converted tool list of one ``tools`` string. APIGen rows reuse a few thousand
    tool lists: each is converted once, and every record gets fresh dicts parsed from this JSON."""
    return orjson.dumps(flat_tool_fields(json_field(raw, "tools"), "tools"))  # validated with each record


def tool_dicts(value: Any) -> list[dict[str, Any]]:
    """Converted tools (JSON Schema form) of a ``tools`` field, as plain dicts."""
    if isinstance(value, str):
        loaded: list[dict[str, Any]] = orjson.loads(_converted_tools(value))
        return loaded
    return [t.model_dump(mode="json", exclude_none=True) for t in parse_flat_tools(value, "tools")]


def parse_flat_tools(value: Any, path: str) -> list[Tool]:
    """The tools of a ``tools`` field (flat xLAM-v1 form), validated."""
    return [Tool.model_validate(fields) for fields in flat_tool_fields(value, path)]


def flat_tool_fields(value: Any, path: str) -> list[dict[str, Any]]:
    """:func:`parse_flat_tools` as plain field dicts, not yet validated."""
    if not isinstance(value, list):
        raise FieldError(path, f"expected a list of tools, got {type(value).__name__}")
    tools = []
    for i, raw in enumerate(value):
        require(raw, "name", f"{path}[{i}]", str)
        params = raw.get("parameters") or {}
        if not isinstance(params, dict):
            raise FieldError(f"{path}[{i}].parameters", "expected an object")
        tools.append(xlam_v1_tool_fields(raw))
    return tools


@register
class ApigenConverter(Converter):
    name = "apigen"
    description = "APIGen / xlam-function-calling-60k rows (query, tools and answers as JSON strings)"
    can_export = True

    def convert(self, item: SourceItem) -> list[Record]:
        # Hot path (60k-row corpora): build plain dicts and validate the record once.
        row = item.value
        query = require(row, "query", "", str)
        tools = tool_dicts(require(row, "tools", "", (str, list)))
        calls = call_dicts(json_field(require(row, "answers", "", (str, list)), "answers"), "answers")
        extra = {k: v for k, v in row.items() if k not in ("id", "query", "tools", "answers")}
        fields = {"tools": tools, "query": query, "steps": [{"tool_calls": calls}] if calls else [], "meta": extra}
        return [self.build_from_dict(item, row.get("id"), fields)]

    def export(self, record: Record) -> dict[str, Any]:
        call_steps = [s for s in record.steps if s.tool_calls]
        if len(record.steps) > 1 or len(call_steps) > 1:
            raise ExportError(f"{record.id}: APIGen rows hold one step of calls, record has {len(record.steps)}")
        step = record.steps[0] if record.steps else Step()
        if step.thought or step.observations or step.response or step.user_input or record.answer:
            raise ExportError(f"{record.id}: APIGen rows cannot carry thoughts, observations or replies")
        row: dict[str, Any] = {}
        if record.id.startswith(f"{self.name}-") and record.id[len(self.name) + 1 :].isdigit():
            row["id"] = int(record.id[len(self.name) + 1 :])
        row["query"] = record.query
        row["answers"] = json.dumps([{"name": c.name, "arguments": c.arguments} for c in step.tool_calls])
        row["tools"] = json.dumps([t.to_xlam_v1() for t in record.tools])
        row.update(record.meta)
        return row
