"""Decoding raw model output into BFCL's call shape ``[{name: {param: value}}]``.

- ``prompt`` mode, Python categories: :func:`xlam.formats.bfcl_decode_python` (BFCL's decoder, rule
  for rule).
- ``prompt`` mode, Java/JavaScript: BFCL parses ``[Class.method(arg=value, ...)]`` with tree-sitter
  and keeps each argument's *source text* (a top-level string literal loses its quotes; only the
  first call is kept). :func:`decode_java_js` does the same with a small bracket- and quote-aware
  scanner (tree-sitter is not a dependency): it agrees with BFCL on well-formed calls; on malformed
  code that tree-sitter would reject it may still decode.
- ``native`` mode: the tool calls a backend returned, else calls decoded from the text with
  :func:`xlam.formats.decode_calls` (any supported format).
"""

from __future__ import annotations

import re
from typing import Any

from xlam.formats import FormatParseError, bfcl_decode_python, decode_calls
from xlam.records import ToolCall

_NAME = re.compile(r"\s*([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*\(")
_OPEN, _CLOSE = "([{", ")]}"
_GENERIC = re.compile(r"<[\w\s,.?\[\]]*(?:<[\w\s,.?\[\]]*>[\w\s,.?\[\]]*)*>")


def _split_top_level(text: str) -> list[str]:
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch == "<" and i and (text[i - 1].isalnum() or text[i - 1] == "_") and (generic := _GENERIC.match(text, i)):
            i = generic.end()  # Java generics: HashMap<String, Object>
            continue
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                raise FormatParseError("unbalanced brackets in call arguments")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if quote or depth:
        raise FormatParseError("unterminated string or bracket in call arguments")
    tail = text[start:]
    return [*parts, tail] if tail.strip() or parts else parts


def _matching_paren(text: str, open_at: int) -> int:
    depth, quote, i = 0, "", open_at
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise FormatParseError("unterminated call")


def _literal_value(raw: str) -> str:
    """Source text of an argument; a string (Java/JS) or char (Java) literal loses its quotes."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def decode_java_js(text: str, language: str) -> list[dict[str, dict[Any, Any]]]:
    """The first call in ``[name(arg=value, ...)]`` with argument source texts (see module doc)."""
    body = text.strip("`\n ")
    body = body[1:] if body.startswith("[") else body
    body = body[:-1] if body.endswith("]") else body
    match = _NAME.match(body)
    if not match:
        raise FormatParseError(f"no {language} method call found")
    name = re.sub(r"\s+", "", match.group(1))
    close = _matching_paren(body, match.end() - 1)
    args: dict[Any, Any] = {}
    for part in _split_top_level(body[match.end() : close]):
        key, eq, value = part.partition("=")
        if eq and re.fullmatch(r"\s*[A-Za-z_$][\w$]*\s*", key) and not value.startswith("="):
            if key.strip() in args:
                raise FormatParseError("Multiple arguments with the same name are not supported.")
            args[key.strip()] = _literal_value(value)
        elif part.strip():
            if None in args:
                raise FormatParseError("Multiple arguments with the same name are not supported.")
            args[None] = part.strip()
    return [{name: args}]


def decode_prompt_output(text: str, language: str = "python") -> list[Any]:
    """Decode prompt-mode output as BFCL does; raises :class:`FormatParseError` where it fails."""
    if language == "python":
        return bfcl_decode_python(text)
    return decode_java_js(text, language)


def decode_native_output(text: str, tool_calls: list[ToolCall] | None = None) -> list[Any]:
    """Native mode: returned tool calls, else calls in the text (any format). Text without any call
    raises :class:`FormatParseError` (BFCL's FC decoders fail on plain text); ``[]`` decodes to []."""
    if tool_calls:
        return [{c.name: dict(c.arguments)} for c in tool_calls]
    calls = decode_calls(text)
    if not calls and text.strip() not in ("[]", "[TOOL_CALLS][]", "[TOOL_CALLS] []"):
        raise FormatParseError("no tool call in the output")
    return [{c.name: dict(c.arguments)} for c in calls]
