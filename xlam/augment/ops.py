"""Prompt-format augmentation operations (xLAM paper section 3.2): each is pure and seeded.

Every op takes a record and a ``random.Random`` and returns a new record plus a description of
what it did (recorded in ``provenance.transformations``); the input record is never modified.
None of them changes what the record means: the same tools (as a set), the same calls (as a
multiset per step) with the same observations, the same texts.
"""

from __future__ import annotations

import random
from typing import Any

from xlam.prompts import CALL_FIELDS, DELIMITER_STYLES, SECTIONS, TOOL_FIELDS, PromptStyle
from xlam.prompts.style import DelimiterStyle, SectionName, ToolRendering
from xlam.records import Record, Step, Tool, ToolCall


def _permutation(rng: random.Random, n: int) -> list[int]:
    order = list(range(n))
    rng.shuffle(order)
    return order


def _shuffled_dict(value: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    keys = list(value)
    rng.shuffle(keys)
    return {k: value[k] for k in keys}


def shuffle_tools(record: Record, rng: random.Random) -> tuple[Record, str | None]:
    """Permute the list of available tools."""
    if len(record.tools) < 2:
        return record, None
    order = _permutation(rng, len(record.tools))
    return record.model_copy(
        update={"tools": [record.tools[i] for i in order]}
    ), f"shuffle_tools(order={order})"


def _shuffle_tool_params(tool: Tool, rng: random.Random) -> Tool:
    params = dict(tool.parameters)
    props = params.get("properties")
    if isinstance(props, dict) and len(props) > 1:
        params["properties"] = _shuffled_dict(props, rng)
    if isinstance(params.get("required"), list) and len(params["required"]) > 1:
        required = list(params["required"])
        rng.shuffle(required)
        params["required"] = required
    return tool.model_copy(update={"parameters": params})


def shuffle_tool_parameters(record: Record, rng: random.Random) -> tuple[Record, str | None]:
    """Permute the parameter entries (and the required list) inside every tool."""
    if not any(len(t.properties) > 1 for t in record.tools):
        return record, None
    return record.model_copy(update={"tools": [_shuffle_tool_params(t, rng) for t in record.tools]}), (
        "shuffle_tool_parameters"
    )


def _shuffle_call(call: ToolCall, rng: random.Random) -> ToolCall:
    return (
        call.model_copy(update={"arguments": _shuffled_dict(call.arguments, rng)})
        if len(call.arguments) > 1
        else call
    )


def shuffle_call_arguments(record: Record, rng: random.Random) -> tuple[Record, str | None]:
    """Permute argument key order inside every call (steps and few-shot examples)."""
    shot_calls = [c for ex in record.few_shot for s in ex.steps for c in s.tool_calls]
    if not any(len(c.arguments) > 1 for c in [*record.all_calls(), *shot_calls]):
        return record, None

    def shuffle_steps(steps: list[Step]) -> list[Step]:
        return [
            s.model_copy(update={"tool_calls": [_shuffle_call(c, rng) for c in s.tool_calls]}) for s in steps
        ]

    few_shot = [ex.model_copy(update={"steps": shuffle_steps(ex.steps)}) for ex in record.few_shot]
    update = {"steps": shuffle_steps(record.steps), "few_shot": few_shot}
    return record.model_copy(update=update), "shuffle_call_arguments"


def shuffle_parallel_calls(record: Record, rng: random.Random) -> tuple[Record, str | None]:
    """Permute the calls of each parallel step, keeping each observation with its call."""
    steps: list[Step] = []
    orders: list[str] = []
    for s, step in enumerate(record.steps):
        if len(step.tool_calls) < 2:
            steps.append(step)
            continue
        order = _permutation(rng, len(step.tool_calls))
        update: dict[str, Any] = {"tool_calls": [step.tool_calls[i] for i in order]}
        if len(step.observations) == len(step.tool_calls):
            update["observations"] = [step.observations[i] for i in order]
        steps.append(step.model_copy(update=update))
        orders.append(f"{s}:{order}")
    if not orders:
        return record, None
    return record.model_copy(update={"steps": steps}), f"shuffle_parallel_calls({', '.join(orders)})"


def choose_style(
    rng: random.Random,
    *,
    delimiters: list[DelimiterStyle],
    tool_renderings: list[ToolRendering],
    shuffle_sections: bool,
    shuffle_fields: bool,
    output_format: str | None,
) -> PromptStyle:
    """A random :class:`PromptStyle`. Section shuffles permute the preamble sections (task
    instruction, tools, format instruction, few-shot); query and history stay last, in order."""
    preamble: list[SectionName] = [s for s in SECTIONS if s not in ("query", "history")]
    if shuffle_sections:
        rng.shuffle(preamble)
    tool_fields = list(TOOL_FIELDS)
    call_fields = list(CALL_FIELDS)
    if shuffle_fields:
        rng.shuffle(tool_fields)
        rng.shuffle(call_fields)
    return PromptStyle(
        delimiter=rng.choice(delimiters or list(DELIMITER_STYLES)),
        section_order=(*preamble, "query", "history"),
        tool_rendering=rng.choice(tool_renderings) if tool_renderings else "xlam_flat",
        tool_field_order=tuple(tool_fields),
        call_field_order=tuple(call_fields),
        output_format=output_format,
    )
