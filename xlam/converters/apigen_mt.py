"""APIGen-MT-5k (``Salesforce/APIGen-MT-5k``): multi-turn ShareGPT-style trajectories (both directions).

One JSON array of rows (or JSON lines)::

    {"system": "# Retail agent policy\\nAs a retail agent, you can help users cancel or modify pending orders...",
     "tools": "[{\\"name\\": \\"find_user_id_by_name_zip\\", \\"description\\": \\"Find user id by first name, last name, and zip code.\\",
               \\"parameters\\": {\\"type\\": \\"object\\", \\"properties\\": {\\"first_name\\": {\\"type\\": \\"string\\"}, ...},
               \\"required\\": [\\"first_name\\", \\"last_name\\", \\"zip\\"]}}, ...]",
     "conversations": [
       {"from": "human", "value": "Hi, I want to cancel an order. I'm Yusuf Rossi, zip 19122."},
       {"from": "function_call", "value": "{\\"name\\": \\"find_user_id_by_name_zip\\", \\"arguments\\": {\\"first_name\\": \\"Yusuf\\", \\"last_name\\": \\"Rossi\\", \\"zip\\": \\"19122\\"}}"},
       {"from": "observation", "value": "yusuf_rossi_9620"},
       {"from": "gpt", "value": "Thanks, Yusuf. Which order would you like to cancel?"},
       {"from": "human", "value": "#W2378156, I ordered it by mistake."},
       ...]}

``system`` becomes the task instruction, ``tools`` (a JSON string of function objects) the tools,
the first ``human`` turn the query. A ``function_call`` turn (JSON ``{"name", "arguments"}``) is a
call; consecutive ones are parallel calls of one step, each answered by an ``observation`` turn
(kept verbatim as a string). ``gpt`` text right before a call is its thought; other ``gpt`` turns
are replies (the last one the answer), and a ``human`` turn after them their ``user_input``.

``export`` writes the same row back. The round trip is exact: strings that a plain ``json.dumps``
would not reproduce byte for byte (another spacing, escaped non-ASCII) are kept in
``meta["apigen_mt_raw"]`` and written back while the parsed content is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from xlam.converters.base import Converter, ExportError, FieldError, SourceItem, require
from xlam.converters.openai import build_from_messages
from xlam.converters.registry import register
from xlam.records import Message, Record, Tool, ToolCall, record_to_messages

_ROLES = {"human": "user", "gpt": "assistant", "function_call": "function_call", "observation": "tool"}
RAW_KEY = "apigen_mt_raw"


def parse_tools(text: Any, where: str = "tools") -> list[Tool]:
    if not isinstance(text, str):
        raise FieldError(where, f"expected a JSON string of function objects, got {type(text).__name__}")
    try:
        specs = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise FieldError(where, f"not valid JSON: {exc.msg} (char {exc.pos})") from exc
    if not isinstance(specs, list):
        raise FieldError(where, "expected a JSON list of function objects")
    tools = []
    for i, spec in enumerate(specs):
        require(spec, "name", f"{where}[{i}]", str)
        tools.append(Tool.from_openai(spec))
    return tools


def dump_tools(tools: list[Tool]) -> str:
    return json.dumps([t.to_openai()["function"] for t in tools])


def parse_call(text: str, where: str) -> ToolCall:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FieldError(where, f"function_call is not valid JSON: {exc.msg} (char {exc.pos})") from exc
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
        raise FieldError(where, "function_call must be an object with a 'name'")
    args = value.get("arguments", {})
    if isinstance(args, str):  # some rows carry the arguments as a JSON string
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            raise FieldError(f"{where}.arguments", f"not valid JSON: {exc.msg}") from exc
    if not isinstance(args, dict):
        raise FieldError(f"{where}.arguments", "expected an object")
    return ToolCall(name=value["name"], arguments=args)


def dump_call(call: ToolCall) -> str:
    return json.dumps({"name": call.name, "arguments": call.arguments})


@register
class APIGenMTConverter(Converter):
    name = "apigen_mt"
    description = "APIGen-MT-5k multi-turn trajectories (conversations with function_call/observation, tools string)"
    can_export = True

    def convert(self, item: SourceItem) -> list[Record]:
        row = item.value
        turns = require(row, "conversations", "", list)
        system = row.get("system", "")
        if not isinstance(system, str):
            raise FieldError("system", f"expected a string, got {type(system).__name__}")
        raw: dict[str, Any] = {}
        tools: list[Tool] = []
        if "tools" in row:
            tools = parse_tools(row["tools"])
            if dump_tools(tools) != row["tools"]:
                raw["tools"] = row["tools"]
        messages: list[Message] = [Message(role="system", content=system)] if system else []
        calls_raw: dict[str, str] = {}
        awaiting = 0  # observations the last call step still waits for
        for i, turn in enumerate(turns):
            where = f"conversations[{i}]"
            role = _ROLES.get(require(turn, "from", where, str))
            value = require(turn, "value", where, str)
            if role is None:
                raise FieldError(f"{where}.from", f"unknown role {turn['from']!r} (human, gpt, function_call, observation)")
            if role == "function_call":
                call = parse_call(value, where)
                last = messages[-1] if messages else None
                if last is not None and last.role == "assistant" and last.tool_calls and awaiting == len(last.tool_calls):
                    last.tool_calls.append(call)  # consecutive calls: one parallel step
                elif last is not None and last.role == "assistant" and not last.tool_calls and i > 0 \
                        and turns[i - 1].get("from") == "gpt":  # the text before a call is its thought
                    messages[-1] = Message(role="assistant", content=last.content, tool_calls=[call])
                else:
                    messages.append(Message(role="assistant", tool_calls=[call]))
                awaiting = len(messages[-1].tool_calls)
                if dump_call(call) != value:
                    calls_raw[f"{i}"] = value
            elif role == "tool":
                if awaiting <= 0:
                    raise FieldError(where, "observation without a pending function_call")
                messages.append(Message(role="tool", content=value))
                awaiting -= 1
            else:
                if awaiting > 0:
                    raise FieldError(where, f"{turn['from']} turn before the observation of the function_call")
                messages.append(Message(role=role, content=value))
        draft = build_from_messages(messages, "conversations", tools=tools)
        if calls_raw:
            raw["calls"] = self._calls_by_position(draft, turns, calls_raw)
        meta = {k: v for k, v in row.items() if k not in ("conversations", "tools", "system")}
        if raw:
            meta[RAW_KEY] = raw
        fields = draft.model_dump(exclude={"id", "source", "provenance", "schema_version", "meta"})
        return [self.build(item, row.get("id"), **fields, meta=meta)]

    @staticmethod
    def _calls_by_position(draft: Record, turns: list[Any], calls_raw: dict[str, str]) -> dict[str, str]:
        """Raw call strings keyed by "step.call" (positions that survive the record form)."""
        positions = [f"{s}.{c}" for s, step in enumerate(draft.steps) for c in range(len(step.tool_calls))]
        call_turns = [str(i) for i, t in enumerate(turns) if t.get("from") == "function_call"]
        by_turn = dict(zip(call_turns, positions, strict=True))
        return {by_turn[i]: text for i, text in calls_raw.items()}

    def export(self, record: Record) -> dict[str, Any]:
        raw = dict(record.meta.get(RAW_KEY) or {})
        row: dict[str, Any] = {k: v for k, v in record.meta.items() if k != RAW_KEY}
        conversations: list[dict[str, str]] = []
        system = ""
        calls_raw = raw.get("calls") or {}
        step_of_call = [(s, c) for s, step in enumerate(record.steps) for c in range(len(step.tool_calls))]
        call_no = 0
        for msg in record_to_messages(record):
            if msg.role == "system":
                system = msg.content or ""
            elif msg.role == "user":
                conversations.append({"from": "human", "value": msg.content or ""})
            elif msg.role == "tool":
                conversations.append({"from": "observation", "value": msg.content or ""})
            elif msg.tool_calls:
                if msg.content:
                    conversations.append({"from": "gpt", "value": msg.content})
                for call in msg.tool_calls:
                    s, c = step_of_call[call_no]
                    call_no += 1
                    text = calls_raw.get(f"{s}.{c}")
                    if text is None or parse_call(text, "") != ToolCall(name=call.name, arguments=call.arguments):
                        text = dump_call(call)
                    conversations.append({"from": "function_call", "value": text})
            else:
                if msg.reasoning_content:
                    raise ExportError(f"record {record.id}: a reply's thought has no place in APIGen-MT rows")
                conversations.append({"from": "gpt", "value": msg.content or ""})
        for step in record.steps:
            if step.tool_calls and len(step.observations) != len(step.tool_calls):
                raise ExportError(f"record {record.id}: every call needs its observation in APIGen-MT rows")
        tools_text = raw.get("tools")
        if tools_text is None or parse_tools(tools_text) != record.tools:
            tools_text = dump_tools(record.tools)
        row.update({"conversations": conversations, "tools": tools_text, "system": system})
        if record.id and not record.id.startswith("rec-") and "id" not in row:
            row["id"] = record.id
        return row


__all__ = ["APIGenMTConverter", "dump_call", "dump_tools", "parse_call", "parse_tools"]
