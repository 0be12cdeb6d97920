"""Markup formats: typed XML and YAML. Both carry the thought, the calls and the reply exactly."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from typing import Any

import yaml

from xlam.formats.base import (
    FormatParseError,
    FormatRenderError,
    OutputFormat,
    call_to_json,
    calls_from_json_list,
)
from xlam.records import Step, ToolCall

_XML_TYPES = ("string", "integer", "float", "boolean", "null", "array", "object")


def _xml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormatRenderError(f"xml: cannot render non-finite float {value!r}")
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise FormatRenderError(f"xml: unsupported value type {type(value).__name__}")


def _xml_text(value: Any, type_name: str) -> str:
    if type_name == "string":
        return str(value)
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "null":
        return ""
    if type_name in ("array", "object"):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _xml_value(text: str, type_name: str) -> Any:
    try:
        if type_name == "string":
            return text
        if type_name == "integer":
            return int(text.strip())
        if type_name == "float":
            return float(text.strip())
        if type_name == "boolean":
            return text.strip().lower() == "true"
        if type_name == "null":
            return None
        return json.loads(text)
    except ValueError as exc:
        raise FormatParseError(f"xml: bad {type_name} value {text[:60]!r}: {exc}") from exc


def _escape_cr(serialized: str) -> str:
    # XML parsers normalise a literal CR to LF; keep CRs in text as character references.
    return serialized.replace("\r", "&#13;")


class XmlFormat(OutputFormat):
    """``<thought>..</thought><functions><function name="f"><param name="a" type="integer">1</param>
    </function></functions>`` (typed params as in BFCL's concise XML; arrays/objects as JSON text);
    a reply step is ``<thought>..</thought><response>..</response>``."""

    name = "xml"
    instruction = (
        "Reply in XML. Put your reasoning in <thought></thought>. To call tools, add "
        '<functions><function name="tool_name"><param name="param_name" type="string|integer|float|boolean|null|array|object">'
        "value</param></function></functions> (arrays and objects as JSON). Without a tool call, put your answer "
        "in <response></response>."
    )
    carries_thought = True
    carries_reply_thought = True

    def render(self, step: Step) -> str:
        parts = []
        if step.thought:
            el = ET.Element("thought")
            el.text = step.thought
            parts.append(ET.tostring(el, encoding="unicode"))
        if step.tool_calls:
            root = ET.Element("functions")
            for call in step.tool_calls:
                fn = ET.SubElement(root, "function", {"name": call.name})
                for key, value in call.arguments.items():
                    type_name = _xml_type(value)
                    param = ET.SubElement(fn, "param", {"name": key, "type": type_name})
                    param.text = _xml_text(value, type_name)
            parts.append(ET.tostring(root, encoding="unicode"))
        else:
            el = ET.Element("response")
            el.text = step.response
            parts.append(ET.tostring(el, encoding="unicode"))
        return _escape_cr("\n".join(parts))

    def parse(self, text: str) -> Step:
        try:
            root = ET.fromstring(f"<output>{text.strip()}</output>")
        except ET.ParseError as exc:
            raise FormatParseError(f"xml: {exc}") from exc
        thought_el, response_el, functions_el = root.find("thought"), root.find("response"), root.find("functions")
        calls: list[ToolCall] = []
        if functions_el is not None:
            for i, fn in enumerate(functions_el.findall("function")):
                name = fn.get("name")
                if not name:
                    raise FormatParseError(f"xml: function[{i}] has no name attribute")
                args: dict[str, Any] = {}
                for param in fn.findall("param"):
                    pname, ptype = param.get("name"), param.get("type", "string")
                    if pname is None or ptype not in _XML_TYPES:
                        raise FormatParseError(f"xml: function[{i}] has a param without name or with bad type")
                    args[pname] = _xml_value(param.text or "", ptype)
                calls.append(ToolCall(name=name, arguments=args))
        thought = (thought_el.text or "") if thought_el is not None else ""
        response = (response_el.text or "") if response_el is not None and not calls else ""
        if thought_el is None and functions_el is None and response_el is None:
            raise FormatParseError("xml: no <thought>, <functions> or <response> element")
        return Step(thought=thought, tool_calls=calls, response=response)


class YamlFormat(OutputFormat):
    """YAML mapping ``thought: .. / tool_calls: [{name, arguments}]`` (+ ``response`` for replies)."""

    name = "yaml"
    instruction = (
        "Reply in YAML only, as a mapping with keys `thought` (your reasoning), `tool_calls` (a list of "
        "items with `name` and `arguments`; an empty list when no tool is needed) and, when no tool is "
        "called, `response` (your answer to the user)."
    )
    carries_thought = True
    carries_reply_thought = True

    def render(self, step: Step) -> str:
        obj: dict[str, Any] = {"thought": step.thought, "tool_calls": [call_to_json(c) for c in step.tool_calls]}
        if step.response and not step.tool_calls:
            obj["response"] = step.response
        try:
            return str(yaml.safe_dump(obj, allow_unicode=True, sort_keys=False, width=10_000)).rstrip("\n")
        except yaml.YAMLError as exc:
            raise FormatRenderError(f"yaml: {exc}") from exc

    def parse(self, text: str) -> Step:
        try:
            obj = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FormatParseError(f"yaml: {exc}") from exc
        if not isinstance(obj, dict) or not ({"tool_calls", "thought", "response"} & obj.keys()):
            raise FormatParseError("yaml: expected a mapping with thought/tool_calls/response")
        thought, response = obj.get("thought") or "", obj.get("response") or ""
        if not isinstance(thought, str) or not isinstance(response, str):
            raise FormatParseError("yaml: 'thought' and 'response' must be strings")
        calls = calls_from_json_list(obj.get("tool_calls") or [], where="yaml tool_calls")
        return Step(thought=thought, tool_calls=calls, response="" if calls else response)
