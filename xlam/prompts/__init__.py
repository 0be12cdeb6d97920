"""Prompt rendering: the xLAM v1 sectioned prompt and its augmentable styles.

``render_prompt(record, PromptStyle(...))`` serialises a record into one user prompt;
``render_tools(tools, rendering)`` renders a tool list alone. Training and evaluation use these
when a chat template cannot take tools natively.
"""

from xlam.prompts.render import history_step, render_prompt, wrap_section
from xlam.prompts.style import (
    CALL_FIELDS,
    DELIMITER_STYLES,
    SECTIONS,
    TOOL_FIELDS,
    TOOL_RENDERINGS,
    DelimiterStyle,
    PromptStyle,
    SectionName,
    ToolRendering,
)
from xlam.prompts.tools import python_signature, render_tools, strip_extensions, tool_dict

__all__ = [
    "CALL_FIELDS",
    "DELIMITER_STYLES",
    "SECTIONS",
    "TOOL_FIELDS",
    "TOOL_RENDERINGS",
    "DelimiterStyle",
    "PromptStyle",
    "SectionName",
    "ToolRendering",
    "history_step",
    "python_signature",
    "render_prompt",
    "render_tools",
    "strip_extensions",
    "tool_dict",
    "wrap_section",
]
