"""Tool-spec renderings for prompts: JSON Schema, xLAM-v1 flat, Python signature, XML, YAML."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import yaml

from xlam.prompts.style import TOOL_FIELDS, ToolRendering
from xlam.records import Tool

_PY_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
    "null": "None",
}


def strip_extensions(value: Any) -> Any:
    """Drop ``x-`` extension keys (lossless-conversion bookkeeping the model never sees)."""
    if isinstance(value, dict):
        return {k: strip_extensions(v) for k, v in value.items() if not str(k).startswith("x-")}
    if isinstance(value, list):
        return [strip_extensions(v) for v in value]
    return value


def tool_dict(
    tool: Tool, rendering: ToolRendering, field_order: Sequence[str] = TOOL_FIELDS
) -> dict[str, Any]:
    """The tool as a plain dict in JSON Schema or xLAM-v1 flat form, keys in ``field_order``."""
    if rendering == "xlam_flat":
        spec = strip_extensions(tool.to_xlam_v1())
    else:
        spec = {
            "name": tool.name,
            "description": tool.description,
            "parameters": strip_extensions(tool.parameters),
        }
    return {key: spec[key] for key in field_order if key in spec}


def render_tools(
    tools: Sequence[Tool],
    rendering: ToolRendering = "json_schema",
    *,
    field_order: Sequence[str] = TOOL_FIELDS,
) -> str:
    """Render a tool list as prompt text in one of the :data:`~xlam.prompts.style.ToolRendering` forms."""
    if rendering in ("json_schema", "xlam_flat"):
        return json.dumps([tool_dict(t, rendering, field_order) for t in tools], ensure_ascii=False)
    if rendering == "yaml":
        return yaml.safe_dump(
            [tool_dict(t, "json_schema", field_order) for t in tools], sort_keys=False, allow_unicode=True
        ).rstrip()
    if rendering == "python":
        return "\n\n".join(python_signature(t) for t in tools)
    if rendering == "xml":
        return "<tools>\n" + "\n".join(tool_xml(t) for t in tools) + "\n</tools>"
    raise ValueError(f"unknown tool rendering {rendering!r}")


def python_type(schema: dict[str, Any]) -> str:
    """A Python annotation for a JSON Schema (``list[int]``, ``Literal['a', 'b']``...)."""
    if "enum" in schema and isinstance(schema["enum"], list):
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " | ".join(_PY_TYPES.get(str(k), "Any") for k in kind)
    base = _PY_TYPES.get(str(kind), "Any")
    if base == "list" and isinstance(schema.get("items"), dict):
        return f"list[{python_type(schema['items'])}]"
    return base


def python_signature(tool: Tool) -> str:
    """``def name(a: int, b: str = 'x') -> Any:`` with a Google-style docstring."""
    required = set(tool.required)
    params: list[str] = []
    optional: list[str] = []
    doc_args: list[str] = []
    for name, prop in tool.properties.items():
        prop = prop if isinstance(prop, dict) else {}
        annotation = python_type(prop)
        if name in required:
            params.append(f"{name}: {annotation}")
        else:
            default = prop.get("default")
            optional.append(f"{name}: {annotation} = {default!r}")
        desc = str(prop.get("description", "")).strip()
        doc_args.append(
            f"        {name} ({annotation}{'' if name in required else ', optional'}): {desc}".rstrip()
        )
    returns = python_type(tool.returns) if tool.returns else "Any"
    lines = [
        f"def {tool.name}({', '.join(params + optional)}) -> {returns}:",
        '    """' + tool.description.strip(),
    ]
    if doc_args:
        lines += ["", "    Args:", *doc_args]
    lines.append('    """')
    return "\n".join(lines)


def tool_xml(tool: Tool) -> str:
    """``<tool name=...><description/><parameters><parameter .../></parameters></tool>``."""
    required = set(tool.required)
    parts = [
        f"<tool name={quoteattr(tool.name)}>",
        f"  <description>{escape(tool.description)}</description>",
    ]
    parts.append("  <parameters>")
    for name, prop in tool.properties.items():
        prop = prop if isinstance(prop, dict) else {}
        attrs = f"name={quoteattr(name)} type={quoteattr(python_type(prop))}"
        attrs += f" required={quoteattr('true' if name in required else 'false')}"
        if "default" in prop:
            attrs += f" default={quoteattr(json.dumps(prop['default'], ensure_ascii=False))}"
        parts.append(f"    <parameter {attrs}>{escape(str(prop.get('description', '')))}</parameter>")
    parts.append("  </parameters>")
    parts.append("</tool>")
    return "\n".join(parts)
