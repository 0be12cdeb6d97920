"""The conversation form of a record: OpenAI-style chat messages.

``record_to_messages`` and ``messages_to_record`` map between the modular record and a message
list (system, user, assistant with tool calls, tool results). Messages -> record -> messages is
lossless; record -> messages drops ``format_instruction`` unless asked to append it to the
system message, and few-shot examples (rendered by the prompt formats instead).
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from xlam.records.calls import Step, ToolCall

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One chat message. ``tool_calls`` holds parsed calls; ``to_openai`` renders the wire form."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    reasoning_content: str | None = Field(default=None, description="Thought of a no-call assistant turn.")

    @classmethod
    def from_openai(cls, raw: dict[str, Any]) -> Message:
        calls = []
        for i, tc in enumerate(raw.get("tool_calls") or []):
            fn = tc.get("function", tc)
            args = fn.get("arguments", {})
            if isinstance(args, str):
                try:
                    args = orjson.loads(args) if args.strip() else {}
                except orjson.JSONDecodeError as exc:
                    raise ValueError(f"tool_calls[{i}].function.arguments is not valid JSON: {exc}") from exc
            if not isinstance(args, dict):
                raise ValueError(f"tool_calls[{i}].function.arguments must be a JSON object")
            calls.append(ToolCall(name=fn["name"], arguments=args, id=tc.get("id")))
        content = raw.get("content")
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return cls(
            role=raw["role"],
            content=content,
            tool_calls=calls,
            tool_call_id=raw.get("tool_call_id"),
            name=raw.get("name"),
            reasoning_content=raw.get("reasoning_content"),
        )

    def to_openai(self, *, arguments_as_string: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [
                {
                    "id": call.id or f"call_{i}",
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": orjson.dumps(call.arguments).decode() if arguments_as_string else call.arguments,
                    },
                }
                for i, call in enumerate(self.tool_calls)
            ]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        if self.reasoning_content:
            out["reasoning_content"] = self.reasoning_content
        return out


def observation_text(value: Any) -> str:
    """Observations are JSON values; messages carry text."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def step_messages(step: Step) -> list[Message]:
    """The assistant message of a step, its tool results and the user's follow-up."""
    out: list[Message] = []
    if step.tool_calls:
        out.append(Message(role="assistant", content=step.thought or None, tool_calls=list(step.tool_calls)))
        for i, call in enumerate(step.tool_calls):
            if i < len(step.observations):
                out.append(
                    Message(
                        role="tool",
                        content=observation_text(step.observations[i]),
                        tool_call_id=call.id or f"call_{i}",
                        name=call.name,
                    )
                )
    elif step.response or step.thought:
        out.append(Message(role="assistant", content=step.response, reasoning_content=step.thought or None))
    if step.user_input:
        out.append(Message(role="user", content=step.user_input))
    return out


def record_to_messages(record: Any, *, include_format_instruction: bool = False) -> list[Message]:
    """Render a :class:`~xlam.records.Record` as chat messages."""
    messages: list[Message] = []
    system = record.task_instruction
    if include_format_instruction and record.format_instruction:
        system = f"{system}\n\n{record.format_instruction}" if system else record.format_instruction
    if system:
        messages.append(Message(role="system", content=system))
    if record.query:
        messages.append(Message(role="user", content=record.query))
    for step in record.steps:
        messages.extend(step_messages(step))
    if record.answer is not None:
        messages.append(Message(role="assistant", content=record.answer))
    return messages


def messages_to_record(messages: list[Message], **fields: Any) -> Any:
    """Build a :class:`~xlam.records.Record` from chat messages; ``fields`` fills the rest (id, tools…).

    Raises ``ValueError`` naming the message index when the sequence cannot be a conversation.
    """
    from xlam.records.record import Record

    task_instruction = ""
    query = ""
    steps: list[Step] = []
    answer: str | None = None
    idx = 0
    if messages and messages[0].role == "system":
        task_instruction = messages[0].content or ""
        idx = 1
    if idx < len(messages) and messages[idx].role == "user":
        query = messages[idx].content or ""
        idx += 1
    for i in range(idx, len(messages)):
        msg = messages[i]
        if msg.role == "assistant":
            is_last = i == len(messages) - 1
            if not msg.tool_calls and is_last:
                answer = msg.content or ""
                if msg.reasoning_content:
                    steps.append(Step(thought=msg.reasoning_content))
                    answer = msg.content or ""
                continue
            if msg.tool_calls:
                steps.append(Step(thought=msg.content or "", tool_calls=list(msg.tool_calls)))
            else:
                steps.append(Step(thought=msg.reasoning_content or "", response=msg.content or ""))
        elif msg.role == "tool":
            if not steps or not steps[-1].tool_calls:
                raise ValueError(f"messages[{i}]: tool message without a preceding assistant tool call")
            step = steps[-1]
            if len(step.observations) >= len(step.tool_calls):
                raise ValueError(f"messages[{i}]: more tool results than tool calls")
            step.observations.append(msg.content if msg.content is not None else "")
        elif msg.role == "user":
            if not steps:
                steps.append(Step())
            if steps[-1].user_input:
                raise ValueError(f"messages[{i}]: two user messages in a row")
            steps[-1].user_input = msg.content or ""
        else:
            raise ValueError(f"messages[{i}]: unexpected role {msg.role!r} here")
    return Record(task_instruction=task_instruction, query=query, steps=steps, answer=answer, **fields)
