"""OpenAI chat-completions conversations: ``messages`` with ``tools``, ``tool_calls`` and ``tool``
role messages. This is also what Hugging Face chat templates and vLLM consume. Sample row::

    {"id": "conv-1",
     "tools": [{"type": "function", "function": {"name": "get_weather", "description": "...",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]}}}],
     "messages": [
       {"role": "system", "content": "You are a weather assistant."},
       {"role": "user", "content": "Weather in Paris?"},
       {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
          "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}}]},
       {"role": "tool", "tool_call_id": "call_1", "content": "{\\"temp_c\\": 18}"},
       {"role": "assistant", "content": "It is 18 °C in Paris."}]}

The system message becomes ``task_instruction``, the first user message the ``query``, each
assistant turn a step (tool results its observations, a following user message its
``user_input``), and a final assistant text the ``answer``. ``export`` writes the same shape back
(``arguments`` as JSON strings), so messages -> record -> messages is lossless.
"""

from __future__ import annotations

from typing import Any

from xlam.converters.base import Converter, FieldError, SourceItem, require
from xlam.converters.registry import register
from xlam.records import Message, Record, Tool, messages_to_record, record_to_messages

NAMELESS_RESULTS = "openai_nameless_tool_results"


def parse_messages(raw: Any, path: str) -> list[Message]:
    if not isinstance(raw, list):
        raise FieldError(path, f"expected a list of messages, got {type(raw).__name__}")
    out = []
    for i, msg in enumerate(raw):
        where = f"{path}[{i}]"
        require(msg, "role", where, str)
        if msg["role"] not in ("system", "user", "assistant", "tool"):
            raise FieldError(f"{where}.role", f"unknown role {msg['role']!r}")
        try:
            out.append(Message.from_openai(msg))
        except KeyError as exc:
            raise FieldError(f"{where}.{exc.args[0]}", "missing required field") from exc
        except ValueError as exc:
            raise FieldError(where, str(exc).splitlines()[0]) from exc
    return out


def parse_openai_tools(raw: Any, path: str) -> list[Tool]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise FieldError(path, f"expected a list of tools, got {type(raw).__name__}")
    tools = []
    for i, spec in enumerate(raw):
        where = f"{path}[{i}]"
        fn = spec.get("function", spec) if isinstance(spec, dict) else None
        require(fn, "name", f"{where}.function" if isinstance(spec, dict) and "function" in spec else where, str)
        tools.append(Tool.from_openai(spec))
    return tools


def build_from_messages(messages: list[Message], path: str, **fields: Any) -> Record:
    try:
        record: Record = messages_to_record(messages, id="pending", **fields)
    except ValueError as exc:
        msg = str(exc)
        field, _, reason = msg.partition(": ")
        raise FieldError(field.replace("messages", path, 1), reason or msg) from exc
    return record


@register
class OpenAIConverter(Converter):
    name = "openai"
    description = "OpenAI chat-completions messages with tools, tool_calls and tool results"
    can_export = True

    def convert(self, item: SourceItem) -> list[Record]:
        row = item.value
        messages = parse_messages(require(row, "messages", "", list), "messages")
        tools = parse_openai_tools(row.get("tools"), "tools")
        draft = build_from_messages(messages, "messages", tools=tools)
        meta = {k: v for k, v in row.items() if k not in ("id", "messages", "tools")}
        results = [m for m in row["messages"] if isinstance(m, dict) and m.get("role") == "tool"]
        if results and not any("name" in m for m in results):
            meta[NAMELESS_RESULTS] = True  # export writes tool results without a name, as the source did
        return [self.build(item, row.get("id"), **draft.model_dump(exclude={"id", "source", "provenance",
                                                                            "schema_version", "meta"}), meta=meta)]

    def export(self, record: Record) -> dict[str, Any]:
        row: dict[str, Any] = {"id": record.id}
        nameless = bool(record.meta.get(NAMELESS_RESULTS))
        row["messages"] = [m.to_openai() for m in record_to_messages(record)]
        if nameless:
            for message in row["messages"]:
                if message["role"] == "tool":
                    message.pop("name", None)
        if record.tools:
            row["tools"] = [t.to_openai() for t in record.tools]
        for key, value in record.meta.items():
            if key != NAMELESS_RESULTS:
                row.setdefault(key, value)
        return row
