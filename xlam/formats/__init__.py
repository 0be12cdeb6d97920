"""Output formats: format instructions, gold-answer renderers and parsers, and auto-detecting decoding.

>>> from xlam.formats import get_format, decode_calls
>>> fmt = get_format("python_calls")
>>> decode_calls('[get_weather(city="Lisbon")]')[0].arguments
{'city': 'Lisbon'}
"""

from __future__ import annotations

from xlam.formats.base import FormatParseError, FormatRenderError, OutputFormat
from xlam.formats.detect import decode_calls, detect_calls, strip_code_fences, strip_reasoning
from xlam.formats.json_formats import (
    JsonListFormat,
    ToolCallsPrefixFormat,
    ToolCallTagsFormat,
    XlamJsonFormat,
)
from xlam.formats.markup import XmlFormat, YamlFormat
from xlam.formats.plain_text import PlainTextFormat
from xlam.formats.python_calls import PythonCallsFormat, bfcl_decode_python, render_python_call

FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        XlamJsonFormat(),
        JsonListFormat(),
        ToolCallsPrefixFormat(),
        PythonCallsFormat(),
        ToolCallTagsFormat(),
        XmlFormat(),
        YamlFormat(),
        PlainTextFormat(),
    )
}


def get_format(name: str) -> OutputFormat:
    """The format called ``name`` (see :data:`FORMATS`); ``KeyError`` lists the known names."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown output format {name!r}; known: {sorted(FORMATS)}") from None


__all__ = [
    "FORMATS",
    "FormatParseError",
    "FormatRenderError",
    "JsonListFormat",
    "OutputFormat",
    "PlainTextFormat",
    "PythonCallsFormat",
    "ToolCallTagsFormat",
    "ToolCallsPrefixFormat",
    "XlamJsonFormat",
    "XmlFormat",
    "YamlFormat",
    "bfcl_decode_python",
    "decode_calls",
    "detect_calls",
    "get_format",
    "render_python_call",
    "strip_code_fences",
    "strip_reasoning",
]
