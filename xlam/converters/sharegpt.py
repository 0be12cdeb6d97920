"""ShareGPT / Glaive-style function calling.

Two layouts are accepted. Glaive v2 (``glaiveai/glaive-function-calling-v2``) keeps the function
definitions as JSON objects inside the system text and the dialogue as one string::

    {"system": "SYSTEM: You are a helpful assistant with access to the following functions. Use them if required -\\n
                {\\n  \\"name\\": \\"calculate_tip\\",\\n  \\"description\\": \\"Calculate the tip\\",\\n
                 \\"parameters\\": {\\"type\\": \\"object\\", \\"properties\\": {...}, \\"required\\": [...]}\\n}",
     "chat": "USER: What tip on a $50 bill at 20%?\\n\\n\\nASSISTANT: <functioncall> {\\"name\\": \\"calculate_tip\\",
              \\"arguments\\": '{\\"bill_amount\\": 50, \\"tip_percentage\\": 20}'} <|endoftext|>\\n\\n\\n
              FUNCTION RESPONSE: {\\"tip_amount\\": 10}\\n\\n\\nASSISTANT: The tip is $10. <|endoftext|>"}

ShareGPT (``conversations`` of ``{"from", "value"}``; ``from`` in system/human/gpt/function_call/
observation, tools as a JSON string or in the system text) is the same dialogue turn by turn.
``<functioncall>`` payloads (whose ``arguments`` Glaive writes as a single-quoted JSON string) become
tool calls, ``FUNCTION RESPONSE`` turns their observations, and assistant text before a call its
thought. The system text without the definitions becomes the task instruction.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import orjson

from xlam.converters.base import Converter, FieldError, SourceItem, json_field, require
from xlam.converters.openai import build_from_messages
from xlam.converters.registry import register
from xlam.records import Message, Record, Tool, ToolCall

_TURN_RE = re.compile(r"(?:^|\n+)\s*(USER|ASSISTANT|FUNCTION RESPONSE|SYSTEM)\s*:\s?", re.S)
_END = "<|endoftext|>"
_GLAIVE_ARGS = re.compile(r"^\s*\{\s*\"name\"\s*:\s*\"(?P<name>[^\"]+)\"\s*,\s*\"arguments\"\s*:\s*'(?P<args>.*)'\s*\}\s*$", re.S)
_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
          "function_call": "function_call", "observation": "tool", "function": "tool", "tool": "tool",
          "function response": "tool"}


def split_system(text: str) -> tuple[str, list[dict[str, Any]]]:
    """(instruction text, function definitions) of a Glaive system prompt."""
    text = text.strip().removeprefix("SYSTEM:").strip()
    decoder = json.JSONDecoder()
    defs: list[dict[str, Any]] = []
    kept: list[str] = []
    pos = 0
    while pos < len(text):
        start = text.find("{", pos)
        if start < 0:
            kept.append(text[pos:])
            break
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            kept.append(text[pos : start + 1])
            pos = start + 1
            continue
        if isinstance(value, dict) and "name" in value:
            defs.append(value)
            kept.append(text[pos:start])
        else:
            kept.append(text[pos:end])
        pos = end
    instruction = "".join(kept).strip()
    instruction = re.sub(r"\n{3,}", "\n\n", instruction)
    return instruction, defs


def parse_functioncall(payload: str, path: str) -> ToolCall:
    payload = payload.replace(_END, "").strip()
    try:
        value = json.loads(payload)
    except json.JSONDecodeError:
        match = _GLAIVE_ARGS.match(payload)
        if match is None:
            raise FieldError(path, f"<functioncall> payload is not JSON: {payload[:80]!r}") from None
        try:
            args = json.loads(match.group("args")) if match.group("args").strip() else {}
        except json.JSONDecodeError as exc:
            raise FieldError(path, f"<functioncall> arguments are not JSON: {exc}") from exc
        value = {"name": match.group("name"), "arguments": args}
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise FieldError(path, "<functioncall> payload must be an object with a name")
    args = json_field(value.get("arguments", {}), f"{path}.arguments")
    if not isinstance(args, dict):
        raise FieldError(f"{path}.arguments", "expected an object")
    return ToolCall(name=value["name"], arguments=args)


def _glaive_turns(chat: str) -> list[tuple[str, str]]:
    parts = _TURN_RE.split(chat)
    turns = []
    for i in range(1, len(parts) - 1, 2):
        role = {"USER": "human", "ASSISTANT": "gpt", "FUNCTION RESPONSE": "observation", "SYSTEM": "system"}[parts[i]]
        turns.append((role, parts[i + 1].replace(_END, "").strip()))
    return turns


@register
class ShareGPTConverter(Converter):
    name = "sharegpt"
    description = "ShareGPT / Glaive function calling (<functioncall>, FUNCTION RESPONSE)"

    def convert(self, item: SourceItem) -> list[Record]:
        row = item.value
        if "conversations" in row:
            raw_turns = require(row, "conversations", "", list)
            turns = []
            for i, turn in enumerate(raw_turns):
                role = require(turn, "from", f"conversations[{i}]", str)
                value = require(turn, "value", f"conversations[{i}]", str)
                turns.append((role, value))
            field = "conversations"
            system_text = str(row.get("system", "") or "")
        else:
            turns = _glaive_turns(require(row, "chat", "", str))
            field = "chat"
            system_text = require(row, "system", "", str)
        system_parts = [v for r, v in turns if r == "system"]
        instruction, defs = split_system("\n".join([system_text, *system_parts]))
        if "tools" in row:
            listed = json_field(row["tools"], "tools")
            if not isinstance(listed, list):
                raise FieldError("tools", "expected a list of function definitions")
            defs = defs + listed
        tools = []
        for i, spec in enumerate(defs):
            require(spec, "name", f"tools[{i}]", str)
            tools.append(Tool.from_openai(spec))
        messages: list[Message] = [Message(role="system", content=instruction)] if instruction else []
        for i, (raw_role, value) in enumerate(turns):
            mapped = _ROLES.get(raw_role.lower())
            where = f"{field}[{i}]"
            if mapped is None:
                raise FieldError(f"{where}.from", f"unknown role {raw_role!r}")
            role = mapped
            if role == "system":
                continue
            if role == "function_call":
                call = parse_functioncall(value, where)
                self._attach_call(messages, call)
            elif role == "assistant" and "<functioncall>" in value:
                thought, _, payload = value.partition("<functioncall>")
                messages.append(Message(role="assistant", content=thought.strip() or None,
                                        tool_calls=[parse_functioncall(payload, where)]))
            elif role == "tool":
                last_call = next((m for m in reversed(messages) if m.tool_calls), None)
                obs = value
                with contextlib.suppress(orjson.JSONDecodeError):
                    obs = orjson.dumps(orjson.loads(value)).decode() if value.strip()[:1] in "{[" else value
                messages.append(Message(role="tool", content=obs,
                                        name=last_call.tool_calls[0].name if last_call else None))
            else:
                messages.append(Message(role=role, content=value))
        draft = build_from_messages(messages, field, tools=tools)
        for step in draft.steps:
            step.observations = [_maybe_json(o) for o in step.observations]
        meta = {k: v for k, v in row.items() if k not in ("id", "system", "chat", "conversations", "tools")}
        fields = draft.model_dump(exclude={"id", "source", "provenance", "schema_version", "meta"})
        return [self.build(item, row.get("id"), **fields, meta=meta)]

    @staticmethod
    def _attach_call(messages: list[Message], call: ToolCall) -> None:
        # ShareGPT "function_call" turns follow the assistant's text (if any) of the same turn.
        if messages and messages[-1].role == "assistant" and not messages[-1].tool_calls:
            last = messages.pop()
            messages.append(Message(role="assistant", content=last.content, tool_calls=[call]))
        else:
            messages.append(Message(role="assistant", tool_calls=[call]))


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value
