"""Format auto-detection: one decoder of tool calls for training targets, serving and evaluation.

:func:`decode_calls` strips reasoning blocks (``<think>..</think>``) and code fences, then tries, in
order: ``[TOOL_CALLS]``, ``<tool_call>`` tags, BFCL's ``<TOOLCALL>`` wrapper, XML, a JSON value
(xLAM ``{"thought","tool_calls"}``, a single ``{"name","arguments"}`` call or a list of calls),
``;``-separated JSON objects (as vLLM's xLAM tool parser accepts), a Python call list, the plain-text
``Action:`` syntax, YAML, and finally a call list embedded in surrounding prose. Text with no call in
it decodes to ``[]``; text that clearly attempts a format but is malformed raises
:class:`FormatParseError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from xlam.formats.base import FormatParseError, call_from_json, calls_from_json_list
from xlam.formats.json_formats import ToolCallsPrefixFormat, ToolCallTagsFormat, XlamJsonFormat
from xlam.formats.markup import XmlFormat, YamlFormat
from xlam.formats.plain_text import PlainTextFormat
from xlam.formats.python_calls import PythonCallsFormat
from xlam.records import ToolCall

_FENCE_RE = re.compile(r"```[A-Za-z0-9_+-]*[ \t]*\n?(.*?)```", re.DOTALL)
_TOOLCALL_TAG_RE = re.compile(r"<TOOLCALL>(.*?)</TOOLCALL>", re.DOTALL)
_PY_CALL_START = re.compile(r"^['`]*\[?\s*[A-Za-z_][\w.]*\s*\(")
_DECODER = json.JSONDecoder()
_NOT_JSON = object()


def strip_reasoning(text: str) -> str:
    """Remove a leading ``<think>..</think>`` block (an unterminated one is all reasoning: ``""``),
    or everything up to the first ``</think>`` when the template opened the block in the prompt.
    ``<think>`` elsewhere (e.g. inside an argument string) is kept."""
    stripped = text.strip()
    if stripped.startswith("<think>"):
        _, closed, rest = stripped.partition("</think>")
        return rest.strip() if closed else ""
    if "</think>" in stripped:
        return stripped.split("</think>", 1)[1].strip()
    return stripped


def strip_code_fences(text: str) -> str:
    """The body of the first fenced code block, or the text itself."""
    match = _FENCE_RE.search(text)
    return match.group(1).strip() if match else text.strip()


def _calls_from_json_value(value: Any) -> list[ToolCall] | None:
    if isinstance(value, dict):
        if {"tool_calls", "thought"} & value.keys():
            return calls_from_json_list(value.get("tool_calls") or [])
        if "name" in value or isinstance(value.get("function"), (dict, str)):
            return [call_from_json(value)]
        return None
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value):
            return calls_from_json_list(value)
        return None
    return None


def _semicolon_objects(text: str) -> list[Any] | None:
    """``{...}; {...}`` -> list of objects, or None when the text is not exactly that."""
    items, pos = [], 0
    while pos < len(text):
        try:
            obj, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
        items.append(obj)
        pos = end
        while pos < len(text) and text[pos] in " \t\r\n;":
            pos += 1
    return items if len(items) > 1 else None


def _embedded_json_calls(text: str) -> list[ToolCall] | None:
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        try:
            calls = _calls_from_json_value(value)
        except FormatParseError:
            continue
        if calls:
            return calls
    return None


def _json_value_calls(s: str) -> list[ToolCall]:
    try:
        value = json.loads(s)
    except json.JSONDecodeError as exc:
        raise FormatParseError(f"text starts like JSON but is not valid JSON: {exc}") from exc
    calls = _calls_from_json_value(value)
    if calls is not None:
        return calls
    if isinstance(value, dict) and "response" in value:
        return XlamJsonFormat().parse_calls(s)
    raise FormatParseError(f"JSON value is not a call or a list of calls: {s[:80]!r}")


def _semicolon_calls(s: str) -> list[ToolCall]:
    objects = _semicolon_objects(s)
    if objects is None:
        raise FormatParseError("not ;-separated JSON objects")
    return [call_from_json(o, where=f"call[{i}]") for i, o in enumerate(objects)]


def _toolcall_tag_calls(s: str) -> list[ToolCall]:
    tagged = _TOOLCALL_TAG_RE.search(s)
    if tagged is None:
        raise FormatParseError("unterminated <TOOLCALL> tag")
    return detect_calls(strip_code_fences(tagged.group(1)))


def _candidates(s: str) -> list[Callable[[str], list[ToolCall]]]:
    """Decoders worth trying on ``s``, strongest signal first."""
    out: list[Callable[[str], list[ToolCall]]] = []
    if s[0] in "[{":
        out.append(_json_value_calls)
    if s.startswith(("<thought>", "<functions>", "<response>")):
        out.append(XmlFormat().parse_calls)
    if s.startswith(("Thought:", "Action:", "Final Answer:")):
        out.append(PlainTextFormat().parse_calls)
    if s.startswith(("thought:", "tool_calls:", "response:")):
        out.append(YamlFormat().parse_calls)
    if ToolCallsPrefixFormat.prefix in s:
        out.append(ToolCallsPrefixFormat().parse_calls)
    if "<tool_call>" in s:
        out.append(ToolCallTagsFormat().parse_calls)
    if "<TOOLCALL>" in s:
        out.append(_toolcall_tag_calls)
    if "<functions>" in s and not s.startswith("<functions>"):
        out.append(lambda t: XmlFormat().parse_calls(t[t.index("<functions>") :]))
    if s[0] == "{":
        out.append(_semicolon_calls)
    if _PY_CALL_START.match(s):
        out.append(PythonCallsFormat().parse_calls)
    if re.search(r"^Action:", s, re.MULTILINE) and PlainTextFormat().parse_calls not in out:
        out.append(PlainTextFormat().parse_calls)
    if re.search(r"^tool_calls:", s, re.MULTILINE):
        out.append(YamlFormat().parse_calls)
    return out


def detect_calls(text: str) -> list[ToolCall]:
    """Auto-detect the format of already-cleaned text and decode its calls.

    Candidate decoders are tried strongest signal first; the first that yields calls wins. If none
    yields calls but one parses, the text holds no call (``[]``); if all fail, the first error is
    raised. Text matching no candidate is searched for an embedded JSON call list, else ``[]``.
    """
    s = text.strip()
    if not s:
        return []
    first_error: FormatParseError | None = None
    parsed_without_calls = False
    for decoder in _candidates(s):
        try:
            calls = decoder(s)
        except FormatParseError as exc:
            first_error = first_error or exc
            continue
        if calls:
            return calls
        parsed_without_calls = True
    if parsed_without_calls:
        return []
    if first_error is not None:
        raise first_error
    return _embedded_json_calls(s) or []


def decode_calls(text: str, fmt: str | None = None) -> list[ToolCall]:
    """Tool calls in model output ``text``: in format ``fmt``, or auto-detected when ``fmt`` is None.

    Reasoning blocks are removed first (and code fences in auto-detection). Raises
    :class:`FormatParseError` on malformed output; plain text without calls gives ``[]``.
    """
    from xlam.formats import get_format

    cleaned = strip_reasoning(text)
    if fmt is not None:
        return get_format(fmt).parse_calls(cleaned)
    return detect_calls(strip_code_fences(cleaned))
