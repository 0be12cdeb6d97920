"""Per-tool compiled argument checks: JSON types, safe casts, enums and JSON-Schema constraints.

Compiling is cached by the tool's canonical schema, so a dataset with a few thousand distinct
tools compiles each once (the hot path of the rules stage).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from xlam.records import Tool, ToolCall

# Keywords that constrain values beyond type/enum (checked with jsonschema when present).
CONSTRAINT_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "const",
        "contains",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
    }
)
_INT_RE = re.compile(r"[+-]?\d+")
_NUM_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_CACHE_LIMIT = 16384


_EXACT: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def types_ok(value: Any, types: tuple[str, ...]) -> bool:
    """Fast check of JSON-loaded values against a parameter's types (exact Python types)."""
    kind = type(value)
    for t in types:
        allowed = _EXACT.get(t)
        if allowed is None or kind in allowed:
            return True
    return any(type_ok(value, t) for t in types)  # subclasses (rare outside JSON-loaded data)


def type_ok(value: Any, json_type: str) -> bool:
    """JSON-Schema type check where ``bool`` is not a number and ``3.0`` is not an integer."""
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "object":
        return isinstance(value, dict)
    if json_type == "null":
        return value is None
    return True


def _literal(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None


def safe_cast(value: Any, json_type: str) -> tuple[bool, Any]:
    """``(True, cast)`` when ``value`` converts losslessly to ``json_type``:
    ``"5"``->5, ``"3.5"``->3.5, ``"true"``->True, ``"[1,2]"``->[1, 2], ``"{..}"``->dict, ``5.0``->5,
    ``94103``->``"94103"``."""
    if isinstance(value, str):
        text = value.strip()
        if json_type == "integer" and _INT_RE.fullmatch(text):
            return True, int(text)
        if json_type == "number" and _NUM_RE.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return True, int(text) if _INT_RE.fullmatch(text) else number
        if json_type == "boolean" and text.lower() in ("true", "false"):
            return True, text.lower() == "true"
        if json_type == "array" and text.startswith("[") and text.endswith("]"):
            parsed = _literal(text)
            if isinstance(parsed, list | tuple):
                return True, list(parsed)
        if json_type == "object" and text.startswith("{") and text.endswith("}"):
            parsed = _literal(text)
            if isinstance(parsed, dict) and all(isinstance(k, str) for k in parsed):
                return True, parsed
        return False, value
    if json_type == "integer" and isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return True, int(value)
    if json_type == "string" and isinstance(value, int) and not isinstance(value, bool):
        return True, str(value)
    return False, value


@dataclass(slots=True)
class ParamInfo:
    """What is checked for one parameter. ``nullable``: JSON null is accepted (optional parameters:
    null means "not given")."""

    types: tuple[str, ...] = ()
    nullable: bool = False
    any_type: bool = True
    enum: list[Any] | None = None
    item_types: tuple[str, ...] = ()
    validator: Draft202012Validator | None = None
    default: Any = None
    has_default: bool = False
    description: str = ""

    def documented(self, value: Any) -> bool:
        """Values the spec itself offers besides its type/enum: the declared default, or a string
        the description names (e.g. "'dontcare' if no preference")."""
        if self.has_default and value == self.default and type(value) is type(self.default):
            return True
        return isinstance(value, str) and len(value) >= 3 and value.lower() in self.description


@dataclass(slots=True)
class ToolInfo:
    """A tool's compiled argument checks."""

    name: str
    params: dict[str, ParamInfo] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    allows_extra: bool = False


def _types(schema: dict[str, Any]) -> tuple[str, ...]:
    if schema.get("x-bfcl-type") == "any":
        return ()
    raw = schema.get("type")
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(str(t) for t in raw)
    return ()


def _has_constraints(schema: Any) -> bool:
    if isinstance(schema, dict):
        if CONSTRAINT_KEYWORDS.intersection(schema):
            return True
        return any(_has_constraints(v) for v in schema.values() if isinstance(v, dict | list))
    if isinstance(schema, list):
        return any(_has_constraints(v) for v in schema)
    return False


def _strip(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip(v) for k, v in schema.items() if not str(k).startswith("x-")}
    if isinstance(schema, list):
        return [_strip(v) for v in schema]
    return schema


# Java / JavaScript type names (BFCL keeps them in x-bfcl-type) -> JSON type of the value.
_SOURCE_TYPES = {
    "boolean": "boolean",
    "bool": "boolean",
    "int": "integer",
    "integer": "integer",
    "long": "integer",
    "short": "integer",
    "byte": "integer",
    "float": "number",
    "double": "number",
    "number": "number",
    "string": "string",
    "char": "string",
    "array": "array",
    "arraylist": "array",
    "list": "array",
    "hashmap": "object",
    "map": "object",
    "dict": "object",
    "object": "object",
    "set": "array",
}


def compile_param(
    schema: dict[str, Any], *, source_language: str | None = None, optional: bool = False
) -> ParamInfo:
    """Checks for one parameter. For Java/JavaScript tools (``source_language``) values may be the
    source-code string or a JSON value of the original type; value constraints are not checked."""
    if source_language:
        original = str(schema.get("x-bfcl-type", "")).lower()
        mapped = _SOURCE_TYPES.get(original)
        types: tuple[str, ...] = ("string", mapped) if mapped and mapped != "string" else ("string",)
        if original in ("any", "") or mapped is None:
            types = ()
        info = ParamInfo(
            types=types,
            any_type=not types,
            nullable=optional,
            description=str(schema.get("description", "")).lower(),
        )
        if "default" in schema:
            info.has_default, info.default = True, schema["default"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            info.enum = schema["enum"]
        return info
    types = _types(schema)
    info = ParamInfo(types=types, any_type=not types, nullable=optional)
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        info.enum = enum
    items = schema.get("items")
    if isinstance(items, dict):
        info.item_types = _types(items)
    if "default" in schema:
        info.has_default, info.default = True, schema["default"]
    info.description = str(schema.get("description", "")).lower()
    rest = {k: v for k, v in schema.items() if k not in ("type", "enum", "description", "default", "items")}
    if isinstance(items, dict) and _has_constraints(items):
        # Items' own types are checked by wrong_type; constraints below that are jsonschema's.
        rest["items"] = {k: v for k, v in items.items() if k not in ("type", "description")}
    if _has_constraints(rest):
        try:
            stripped = _strip(rest)
            Draft202012Validator.check_schema(stripped)
            info.validator = Draft202012Validator(stripped)
        except Exception:
            info.validator = None
    return info


def in_enum(value: Any, enum: list[Any]) -> bool:
    """Membership with JSON types: ``True`` is not ``1``; ``1`` and ``1.0`` are the same number."""
    kind = type(value)
    for member in enum:
        if member == value and (
            type(member) is kind or (kind in (int, float) and type(member) in (int, float))
        ):
            return True
    return False


@dataclass(slots=True)
class CallCheck:
    """Arguments of one call that need a closer look (names only; rules do the detailed work)."""

    step: int
    index: int
    call: ToolCall
    info: ToolInfo | None
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mistyped: list[str] = field(default_factory=list)
    off_enum: list[str] = field(default_factory=list)
    constrained: list[str] = field(default_factory=list)


def analyse_call(step: int, index: int, call: ToolCall, info: ToolInfo | None) -> CallCheck:
    """The fast path: one loop over the arguments with exact-type and enum membership checks."""
    check = CallCheck(step, index, call, info)
    if info is None:
        return check
    args = call.arguments
    params = info.params
    for name, value in args.items():
        param = params.get(name)
        if param is None:
            if not info.allows_extra:
                check.unknown.append(name)
            continue
        if not param.any_type and (
            not types_ok(value, param.types)
            or (
                param.item_types
                and type(value) is list
                and not all(types_ok(v, param.item_types) for v in value)
            )
        ):
            check.mistyped.append(name)
        if param.enum is not None and (type(value) is list or not in_enum(value, param.enum)):
            check.off_enum.append(name)
        if param.validator is not None:
            check.constrained.append(name)
    for name in info.required:
        if name not in args:
            check.missing.append(name)
    return check


_CACHE: dict[bytes, ToolInfo] = {}


def tool_info(tool: Tool) -> ToolInfo:
    """Compiled checks for ``tool`` (cached by name + canonical parameter schema)."""
    key = tool.name.encode() + b"\0" + orjson.dumps(tool.parameters, option=orjson.OPT_SORT_KEYS)
    info = _CACHE.get(key)
    if info is not None:
        return info
    params = tool.parameters
    extra = params.get("additionalProperties", False)
    language = params.get("x-bfcl-language")
    required = set(tool.required)
    info = ToolInfo(
        name=tool.name,
        params={
            name: compile_param(
                p if isinstance(p, dict) else {}, source_language=language, optional=name not in required
            )
            for name, p in tool.properties.items()
        },
        required=tuple(tool.required),
        allows_extra=bool(extra) and extra is not False,
    )
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = info
    return info
