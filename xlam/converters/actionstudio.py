"""ActionStudio "unified format 2.0" trajectories (both directions). Sample::

    {"unique_trajectory_id": "toolace-00017",
     "task_instruction": "You are an expert in composing functions.",
     "tools": [{"type": "function", "function": {"name": "stock_quote", "description": "...",
                "parameters": {"type": "object", "properties": {"symbol": {"type": "string"}},
                               "required": ["symbol"]}}}],
     "conversation": [
       {"role": "user", "content": "Quote for AAPL and MSFT?"},
       {"role": "assistant", "content": "Two lookups.", "tool_calls": [
          {"type": "function", "id": "1", "function": {"name": "stock_quote", "arguments": {"symbol": "AAPL"}}},
          {"type": "function", "id": "2", "function": {"name": "stock_quote", "arguments": {"symbol": "MSFT"}}}]},
       {"role": "tool", "name": "stock_quote", "tool_call_id": "1", "content": [{"name": "stock_quote", "results": {"price": 189.2}}]},
       {"role": "tool", "name": "stock_quote", "tool_call_id": "2", "content": "{\\"price\\": 411.0}"},
       {"role": "assistant", "content": "AAPL 189.20, MSFT 411.00."}],
     "reject": {"role": "assistant", "content": "", "tool_calls": [
          {"type": "function", "function": {"name": "stock_quote", "arguments": {"ticker": "AAPL"}}}]}}

``arguments`` are dicts (not JSON strings) and tool contents may be strings or lists of
``{name, results}``; both are kept as they are (observations are JSON values). ``reject`` (an
alternative assistant message, or its text) becomes ``record.rejected``. ``export`` writes the
same shape back.
"""

from __future__ import annotations

from typing import Any

import orjson

from xlam.converters.base import Converter, FieldError, SourceItem, require
from xlam.converters.openai import build_from_messages, parse_messages, parse_openai_tools
from xlam.converters.registry import register
from xlam.records import Record, Rejected, Step, ToolCall, record_to_messages
from xlam.records.conversation import Message


def _reject_step(raw: Any) -> Step:
    if isinstance(raw, str):
        text = raw.strip().removeprefix("[TOOL_CALLS]").strip()
        if text.startswith("["):
            try:
                calls = orjson.loads(text)
                return Step(tool_calls=[ToolCall(name=c["name"], arguments=c.get("arguments", {})) for c in calls])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                pass
        return Step(response=raw)
    msg = parse_messages([{"role": "assistant", **raw}] if isinstance(raw, dict) and "role" not in raw else [raw],
                         "reject")[0]
    if msg.tool_calls:
        return Step(thought=msg.content or "", tool_calls=msg.tool_calls)
    return Step(response=msg.content or "", thought=msg.reasoning_content or "")


@register
class ActionStudioConverter(Converter):
    name = "actionstudio"
    description = "ActionStudio unified format 2.0 (conversation, tools, reject)"
    can_export = True

    def convert(self, item: SourceItem) -> list[Record]:
        row = item.value
        conversation = require(row, "conversation", "", list)
        tools = parse_openai_tools(row.get("tools"), "tools")
        raw_tool_contents = []
        prepared = []
        for i, msg in enumerate(conversation):
            if isinstance(msg, dict) and msg.get("role") == "tool":
                raw_tool_contents.append(msg.get("content"))
                if not isinstance(msg.get("content"), str | None):
                    msg = {**msg, "content": orjson.dumps(msg["content"]).decode()}
            elif not isinstance(msg, dict):
                raise FieldError(f"conversation[{i}]", "expected a message object")
            prepared.append(msg)
        messages = parse_messages(prepared, "conversation")
        instruction = row.get("task_instruction") or ""
        if not isinstance(instruction, str):
            raise FieldError("task_instruction", "expected a string")
        if instruction and (not messages or messages[0].role != "system"):
            messages.insert(0, Message(role="system", content=instruction))
        offset = 1 if instruction and prepared and prepared[0].get("role") != "system" else 0
        try:
            draft = build_from_messages(messages, "conversation", tools=tools)
        except FieldError as exc:
            if offset and exc.field.startswith("conversation["):
                index = int(exc.field[len("conversation[") :].split("]")[0]) - offset
                raise FieldError(f"conversation[{index}]", exc.reason) from exc
            raise
        # Observations keep their source JSON value (not the string the message form needs).
        values = iter(raw_tool_contents)
        for step in draft.steps:
            step.observations = [next(values) for _ in step.observations]
        rejected = None
        if row.get("reject") not in (None, "", []):
            rejected = Rejected(step=_reject_step(row["reject"]), kind="source")
        meta = {k: v for k, v in row.items()
                if k not in ("unique_trajectory_id", "id", "task_instruction", "tools", "conversation", "reject")}
        fields = draft.model_dump(exclude={"id", "source", "provenance", "schema_version", "meta", "rejected"})
        return [self.build(item, row.get("unique_trajectory_id", row.get("id")), **fields, rejected=rejected,
                           meta=meta)]

    def export(self, record: Record) -> dict[str, Any]:
        conversation = []
        observations = iter([obs for step in record.steps for obs in step.observations])
        for msg in record_to_messages(record):
            if msg.role == "system":
                continue
            out = msg.to_openai(arguments_as_string=False)
            if msg.role == "tool":
                out["content"] = next(observations)
            if msg.role == "assistant" and msg.tool_calls:
                out["tool_calls"] = [{k: v for k, v in tc.items() if k != "id" or call.id is not None}
                                     for tc, call in zip(out["tool_calls"], msg.tool_calls, strict=True)]
            conversation.append(out)
        row: dict[str, Any] = {
            "unique_trajectory_id": record.id,
            "task_instruction": record.task_instruction,
            "tools": [t.to_openai() for t in record.tools],
            "conversation": conversation,
        }
        if record.rejected is not None:
            step = record.rejected.step
            rej = Message(role="assistant", content=step.thought if step.tool_calls else step.response,
                          tool_calls=step.tool_calls).to_openai(arguments_as_string=False)
            if step.tool_calls:
                rej["tool_calls"] = [{k: v for k, v in tc.items() if k != "id" or c.id is not None}
                                     for tc, c in zip(rej["tool_calls"], step.tool_calls, strict=True)]
            row["reject"] = rej
        for key, value in record.meta.items():
            row.setdefault(key, value)
        return row
