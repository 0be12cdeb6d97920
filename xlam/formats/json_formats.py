"""JSON-based formats: xLAM's ``{"thought", "tool_calls"}``, a bare JSON call list, Mistral's
``[TOOL_CALLS]`` prefix and Hermes/Qwen ``<tool_call>`` tags.

In the formats without a reply field, a step with no calls renders as its reply text, and text that
does not look like the format parses as a reply.
"""

from __future__ import annotations

import json
import re
from typing import Any

from xlam.formats.base import (
    FormatParseError,
    OutputFormat,
    call_from_json,
    call_to_json,
    calls_from_json_list,
    dumps,
    load_json,
)
from xlam.records import Step, ToolCall


class XlamJsonFormat(OutputFormat):
    """xLAM v1: ``{"thought": str, "tool_calls": [{"name", "arguments"}]}``; a reply step adds
    ``"response"`` (the paper keeps a final answer in a step with empty ``tool_calls``)."""

    name = "xlam_json"
    instruction = (
        "Reply with one JSON object and nothing else: "
        '{"thought": "<your reasoning>", "tool_calls": [{"name": "<tool name>", "arguments": {"<param>": <value>}}]}. '
        "Put several calls in the list to call tools in parallel. If no tool call is needed, use "
        '"tool_calls": [] and put your answer to the user in "response".'
    )
    carries_thought = True
    carries_reply_thought = True

    def render(self, step: Step) -> str:
        obj: dict[str, Any] = {"thought": step.thought, "tool_calls": [call_to_json(c) for c in step.tool_calls]}
        if step.response and not step.tool_calls:
            obj["response"] = step.response
        return dumps(obj)

    def parse(self, text: str) -> Step:
        obj = load_json(text.strip(), what=self.name)
        if not isinstance(obj, dict) or not ({"tool_calls", "thought"} & obj.keys()):
            raise FormatParseError(f"{self.name}: expected an object with 'thought' and 'tool_calls'")
        thought = obj.get("thought") or ""
        response = obj.get("response") or ""
        if not isinstance(thought, str) or not isinstance(response, str):
            raise FormatParseError(f"{self.name}: 'thought' and 'response' must be strings")
        calls = calls_from_json_list(obj.get("tool_calls") or [])
        return Step(thought=thought, tool_calls=calls, response="" if calls else response)


class JsonListFormat(OutputFormat):
    """A bare JSON list ``[{"name", "arguments"}, ...]`` (xLAM-2 / BFCL v4 Salesforce handlers)."""

    name = "json_list"
    instruction = (
        "To call tools, reply with only a JSON list of calls: "
        '[{"name": "<tool name>", "arguments": {"<param>": <value>}}, ...]. '
        "If no tool fits, answer the user in plain text instead."
    )

    def render(self, step: Step) -> str:
        if not step.tool_calls and step.response:
            return step.response
        return dumps([call_to_json(c) for c in step.tool_calls])

    def parse(self, text: str) -> Step:
        stripped = text.strip()
        if not stripped.startswith("["):
            return Step(response=stripped)
        return Step(tool_calls=calls_from_json_list(load_json(stripped, what=self.name)))


class ToolCallsPrefixFormat(OutputFormat):
    """Mistral / ActionStudio: optional thought text, then ``[TOOL_CALLS]`` and a JSON call list."""

    name = "tool_calls_prefix"
    prefix = "[TOOL_CALLS]"
    instruction = (
        "To call tools, write [TOOL_CALLS] followed by a JSON list of calls: "
        '[TOOL_CALLS][{"name": "<tool name>", "arguments": {"<param>": <value>}}]. '
        "If no tool fits, answer the user in plain text instead."
    )
    carries_thought = True

    def render(self, step: Step) -> str:
        if not step.tool_calls:
            return step.response if step.response else self.prefix + "[]"
        body = self.prefix + dumps([call_to_json(c) for c in step.tool_calls])
        return f"{step.thought}\n{body}" if step.thought else body

    def parse(self, text: str) -> Step:
        if self.prefix not in text:
            return Step(response=text.strip())
        # The thought may itself mention the prefix: use the first occurrence followed by valid JSON.
        error: FormatParseError | None = None
        for match in re.finditer(re.escape(self.prefix), text):
            try:
                calls = calls_from_json_list(load_json(text[match.end() :].strip(), what=self.name))
            except FormatParseError as exc:
                error = error or exc
                continue
            thought = text[: match.start()].strip()
            return Step(thought=thought, tool_calls=calls) if calls else Step()
        raise error or FormatParseError(f"{self.name}: no {self.prefix} block")


class ToolCallTagsFormat(OutputFormat):
    """Hermes / Qwen: optional thought text, then one ``<tool_call>{"name", "arguments"}</tool_call>``
    block per call."""

    name = "tool_call_tags"
    instruction = (
        "For each tool call, write a JSON object with the tool name and arguments inside "
        '<tool_call></tool_call> tags: <tool_call>\n{"name": "<tool name>", "arguments": {"<param>": <value>}}\n'
        "</tool_call>. If no tool fits, answer the user in plain text instead."
    )
    carries_thought = True

    def render(self, step: Step) -> str:
        if not step.tool_calls:
            return step.response
        blocks = [f"<tool_call>\n{dumps(call_to_json(c))}\n</tool_call>" for c in step.tool_calls]
        return "\n".join(([step.thought] if step.thought else []) + blocks)

    def parse(self, text: str) -> Step:
        if "<tool_call>" not in text:
            return Step(response=text.strip())
        open_tag, close_tag = "<tool_call>", "</tool_call>"
        start = text.index(open_tag)
        thought = text[:start].strip()
        calls: list[ToolCall] = []
        # Decode each block's JSON with raw_decode so tags inside argument strings cannot confuse us.
        while start != -1:
            pos = _skip_ws(text, start + len(open_tag))
            try:
                obj, pos = _DECODER.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise FormatParseError(f"{self.name}: call {len(calls)} is not valid JSON: {exc}") from exc
            pos = _skip_ws(text, pos)
            if not text.startswith(close_tag, pos):
                raise FormatParseError(f"{self.name}: call {len(calls)} has no closing </tool_call> tag")
            calls.append(call_from_json(obj, where=f"tool_call[{len(calls)}]"))
            start = text.find(open_tag, pos + len(close_tag))
        return Step(thought=thought, tool_calls=calls)


_DECODER = json.JSONDecoder()


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos
