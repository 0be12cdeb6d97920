"""Tool-call decoding of model text and the prompt-mode tool instruction.

Decoding delegates to :func:`xlam.formats.decode_calls` (the single source of truth shared with
evaluation), auto-detecting the format.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from xlam import formats
from xlam.records import Tool, ToolCall

# The bare JSON list format the ActionStudio converter trains with (for names that are not formats).
FALLBACK_INSTRUCTION = (
    "If a tool is needed, reply with only a JSON list of calls, "
    '[{"name": "<tool name>", "arguments": {"<param>": <value>}}, ...]; '
    "if no tool fits or information is missing, reply in plain text."
)



def decode_tool_calls(text: str, fmt: str | None = None) -> list[ToolCall]:
    """Calls found in ``text`` (auto-detected format when ``fmt`` is None); [] for plain text."""
    if not text.strip():
        return []
    try:
        calls: list[ToolCall] = formats.decode_calls(text, fmt)
    except ValueError:  # FormatParseError: the text is not a call list
        return []
    return calls


def format_instruction(name: str) -> str:
    """The instruction of output format ``name`` (a :mod:`xlam.formats` name)."""
    try:
        instruction: str = formats.get_format(name).instruction
        return instruction
    except (KeyError, ValueError):  # not a registered format name: the generic JSON instruction
        return FALLBACK_INSTRUCTION


def tools_system_prompt(tools: Sequence[Tool], output_format: str) -> str:
    """System-prompt text listing ``tools`` (OpenAI JSON) and how to call them."""
    specs = [t.to_openai(strip_extensions=True)["function"] for t in tools]
    return (
        "You have access to the following tools:\n"
        + json.dumps(specs, ensure_ascii=False)
        + "\n\n"
        + format_instruction(output_format)
    )
