"""How a record is serialised into one prompt: delimiters, section order, tool rendering."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DelimiterStyle = Literal["begin_end", "xml", "markdown", "plain"]
ToolRendering = Literal["json_schema", "xlam_flat", "python", "xml", "yaml"]
SectionName = Literal["task_instruction", "tools", "format_instruction", "few_shot", "query", "history"]

SECTIONS: tuple[SectionName, ...] = (
    "task_instruction",
    "tools",
    "format_instruction",
    "few_shot",
    "query",
    "history",
)
DELIMITER_STYLES: tuple[DelimiterStyle, ...] = ("begin_end", "xml", "markdown", "plain")
TOOL_RENDERINGS: tuple[ToolRendering, ...] = ("json_schema", "xlam_flat", "python", "xml", "yaml")
TOOL_FIELDS: tuple[str, ...] = ("name", "description", "parameters")
CALL_FIELDS: tuple[str, ...] = ("name", "arguments")

# Section titles as the xLAM v1 client wrote them ([BEGIN OF <TITLE>] ... [END OF <TITLE>]).
SECTION_TITLES: dict[str, str] = {
    "task_instruction": "TASK INSTRUCTION",
    "tools": "AVAILABLE TOOLS",
    "format_instruction": "FORMAT INSTRUCTION",
    "few_shot": "FEW-SHOT EXAMPLES",
    "query": "QUERY",
    "history": "HISTORY STEPS",
}


class PromptStyle(BaseModel):
    """A prompt serialisation. The default is the xLAM v1 prompt layout:
    ``[BEGIN OF TASK INSTRUCTION]...[END OF TASK INSTRUCTION]`` sections in the v1 order, with tools
    as JSON Schema (what BFCL and OpenAI-style clients show; the v1 flat form, ``xlam_flat``, taught
    models to pass schema keys as arguments: measured in docs/QUALITY.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delimiter: DelimiterStyle = Field(
        default="begin_end",
        description="Section delimiters: [BEGIN OF X]..[END OF X], <x>..</x> tags, '## X' headers, or 'X:' lines.",
    )
    section_order: tuple[SectionName, ...] = Field(
        default=SECTIONS, description="Order of the sections; each section name exactly once."
    )
    tool_rendering: ToolRendering = Field(
        default="json_schema",
        description="Tool specs as JSON Schema, xLAM-v1 flat JSON, Python signatures, XML or YAML.",
    )
    tool_field_order: tuple[str, ...] = Field(
        default=TOOL_FIELDS,
        description="Key order of name/description/parameters in JSON and YAML tool specs.",
    )
    call_field_order: tuple[str, ...] = Field(
        default=CALL_FIELDS, description="Key order of name/arguments in rendered calls (history steps)."
    )
    output_format: str | None = Field(
        default=None,
        description="Name of an xlam.formats output format; its instruction fills an empty format_instruction.",
    )

    @field_validator("section_order")
    @classmethod
    def _all_sections_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(value) != sorted(SECTIONS):
            raise ValueError(
                f"section_order must list each of {list(SECTIONS)} exactly once, got {list(value)}"
            )
        return value

    @field_validator("tool_field_order")
    @classmethod
    def _tool_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(value) != sorted(TOOL_FIELDS):
            raise ValueError(f"tool_field_order must be a permutation of {list(TOOL_FIELDS)}")
        return value

    @field_validator("call_field_order")
    @classmethod
    def _call_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(value) != sorted(CALL_FIELDS):
            raise ValueError(f"call_field_order must be a permutation of {list(CALL_FIELDS)}")
        return value
