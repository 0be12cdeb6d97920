"""Render a record as the xLAM v1 sectioned user prompt.

The v1 client sent one user message of delimited sections, in this order: task instruction,
available tools, format instruction, (few-shot examples), query and, for later turns, the
history steps. :class:`~xlam.prompts.style.PromptStyle` varies the delimiters, the order and
the tool rendering (prompt-format augmentation, xLAM paper section 3.2).
"""

from __future__ import annotations

import json
from typing import Any

from xlam.formats import get_format
from xlam.prompts.style import SECTION_TITLES, PromptStyle
from xlam.prompts.tools import render_tools
from xlam.records import Record, Step, ToolCall


def wrap_section(name: str, body: str, delimiter: str) -> str:
    """One section in a delimiter style (``name`` is a section id such as ``task_instruction``)."""
    title = SECTION_TITLES.get(name, name.replace("_", " ").upper())
    if delimiter == "begin_end":
        return f"[BEGIN OF {title}]\n{body}\n[END OF {title}]"
    if delimiter == "xml":
        tag = name.lower()
        return f"<{tag}>\n{body}\n</{tag}>"
    if delimiter == "markdown":
        return f"## {title.capitalize()}\n{body}"
    if delimiter == "plain":
        return f"{title.capitalize()}:\n{body}"
    raise ValueError(f"unknown delimiter style {delimiter!r}")


def call_dict(call: ToolCall, field_order: tuple[str, ...]) -> dict[str, Any]:
    values = {"name": call.name, "arguments": call.arguments}
    return {key: values[key] for key in field_order}


def history_step(step: Step, step_id: int, style: PromptStyle) -> dict[str, Any]:
    """A step in the v1 history form: step_id, thought, tool_calls, next_observation, user_input."""
    out: dict[str, Any] = {
        "step_id": step_id,
        "thought": step.thought,
        "tool_calls": [call_dict(c, style.call_field_order) for c in step.tool_calls],
        "next_observation": step.observations if step.tool_calls else step.response,
        "user_input": step.user_input,
    }
    return out


def format_instruction(record: Record, style: PromptStyle) -> str:
    """The record's format instruction, else the instruction of ``style.output_format``."""
    if record.format_instruction:
        return record.format_instruction
    if style.output_format:
        return str(get_format(style.output_format).instruction)
    return ""


def render_few_shot(record: Record, style: PromptStyle) -> str:
    examples = []
    for example in record.few_shot:
        examples.append(
            {
                "query": example.query,
                "steps": [history_step(s, i, style) for i, s in enumerate(example.steps, 1)],
                **({"answer": example.answer} if example.answer is not None else {}),
            }
        )
    return json.dumps(examples, ensure_ascii=False) if examples else ""


def render_prompt(record: Record, style: PromptStyle | None = None, *, history: int | None = None) -> str:
    """The sectioned user prompt for ``record``.

    ``history`` is how many of the record's steps are shown as history steps (the model is asked
    for step ``history + 1``); ``None`` (default) shows none, which is the prompt for the first
    assistant turn. Empty sections are left out.
    """
    style = style or PromptStyle()
    shown = record.steps[: history or 0]
    bodies: dict[str, str] = {
        "task_instruction": record.task_instruction,
        "tools": render_tools(record.tools, style.tool_rendering, field_order=style.tool_field_order)
        if record.tools
        else "",
        "format_instruction": format_instruction(record, style),
        "few_shot": render_few_shot(record, style),
        "query": record.query,
        "history": json.dumps([history_step(s, i, style) for i, s in enumerate(shown, 1)], ensure_ascii=False)
        if shown
        else "",
    }
    parts = [
        wrap_section(name, bodies[name], style.delimiter) for name in style.section_order if bodies[name]
    ]
    return "\n\n".join(parts)
