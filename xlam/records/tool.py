"""Tools (function specs) in OpenAI function format, with lossless conversions.

Internally ``parameters`` is a JSON Schema object (OpenAI function-calling format). Source-specific
type names are kept in ``x-`` extension keys so conversions back out are lossless:

- ``x-bfcl-type``: the Gorilla/BFCL type when it is not the canonical inverse of the JSON type
  (``tuple``, ``any``, Java and JavaScript types such as ``HashMap`` or ``String``);
- ``x-xlam-type`` / ``x-xlam-required``: the xLAM-v1 / APIGen flat form's original type string
  (``"str, optional"``, ``"List[int]"``) and per-property ``required`` flag.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

BfclLanguage = Literal["python", "java", "javascript"]

# Gorilla/BFCL type -> JSON Schema type (python files). Same table BFCL uses for FC models.
_BFCL_TO_JSON: dict[str, str] = {
    "string": "string",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "dict": "object",
    "object": "object",
    "any": "string",
}
# JSON Schema type -> the Gorilla name it comes back as when no x-bfcl-type is stored.
_JSON_TO_BFCL: dict[str, str] = {
    "string": "string",
    "integer": "integer",
    "number": "float",
    "boolean": "boolean",
    "array": "array",
    "object": "dict",
    "null": "any",
}
# xLAM-v1/APIGen python-ish type names -> JSON Schema type.
_PY_TO_JSON: dict[str, str] = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
    "tuple": "array",
    "set": "array",
    "dict": "object",
    "object": "object",
    "any": "string",
}
_SCHEMA_CHILD_KEYS = ("properties", "items")
_CONTAINERS = (dict, list)


class Tool(BaseModel):
    """A callable tool: name, description and JSON-Schema parameters (OpenAI function format)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Function name as the model must emit it.")
    description: str = Field(default="", description="What the tool does.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the keyword arguments (type object).",
    )
    returns: dict[str, Any] | None = Field(default=None, description="JSON Schema of the result, if known.")

    @field_validator("parameters")
    @classmethod
    def _object_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type", "object") != "object":
            raise ValueError(f"parameters must be a JSON Schema of type 'object', got type {value.get('type')!r}")
        if not isinstance(value.get("properties", {}), dict):
            raise ValueError("parameters.properties must be an object")
        return value

    # --- views -------------------------------------------------------------------------------
    @property
    def properties(self) -> dict[str, Any]:
        props = self.parameters.get("properties", {})
        assert isinstance(props, dict)
        return props

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    # --- OpenAI ------------------------------------------------------------------------------
    @classmethod
    def from_openai(cls, spec: dict[str, Any]) -> Tool:
        """From ``{"type": "function", "function": {...}}`` or a bare function object."""
        return cls(**{"returns": None, **openai_tool_fields(spec)})

    def to_openai(self, *, strip_extensions: bool = False) -> dict[str, Any]:
        params = _strip_extensions(self.parameters) if strip_extensions else _json_copy(self.parameters)
        fn: dict[str, Any] = {"name": self.name, "description": self.description, "parameters": params}
        if self.returns is not None:
            fn["returns"] = _json_copy(self.returns)
        return {"type": "function", "function": fn}

    # --- BFCL / Gorilla ----------------------------------------------------------------------
    @classmethod
    def from_bfcl(cls, spec: dict[str, Any], language: BfclLanguage = "python") -> Tool:
        """From a BFCL ``function`` entry (``parameters.type == "dict"``, Gorilla type names)."""
        return cls(**bfcl_tool_fields(spec, language))

    def to_bfcl(self) -> dict[str, Any]:
        params = _json_copy(self.parameters)
        response = params.pop("x-bfcl-response", None)
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": _json_schema_to_bfcl(params, top=True),
        }
        if response is not None:
            out["response"] = response
        return out

    # --- xLAM v1 flat / APIGen -----------------------------------------------------------------
    @classmethod
    def from_xlam_v1(cls, spec: dict[str, Any]) -> Tool:
        """From the flat form: ``parameters`` maps each argument name straight to its spec.

        Required arguments are those flagged ``required: true``; when no argument carries a flag
        (APIGen-60k), those without a default and without ``optional`` in their type string.
        """
        fields = xlam_v1_tool_fields(spec)
        if _is_nested_schema(spec.get("parameters") or {}):
            return cls(**{"returns": None, **fields})  # as from_openai
        return cls(**fields)

    def to_xlam_v1(self) -> dict[str, Any]:
        """To the flat form. Tools not born flat get ``required: true`` on required arguments,
        as the xLAM BFCL handler did."""
        meta = self.parameters.get("x-xlam-flat", {"required_flags": True})
        required = set(self.required)
        flat: dict[str, Any] = {}
        for pname, prop in self.properties.items():
            prop = _json_copy(prop)
            out: dict[str, Any] = {}
            original = prop.pop("x-xlam-type", None)
            flag = prop.pop("x-xlam-required", None)
            json_type = prop.pop("type", None)
            if original is not None:
                out["type"] = original
                prop.pop("items", None) if _python_type_to_json(str(original))[1] is not None else None
            elif json_type is not None:
                out["type"] = json_type
            out.update(prop)
            if flag is not None:
                out["required"] = flag
            elif meta.get("required_flags") and pname in required:
                out["required"] = True
            flat[pname] = out
        return {"name": self.name, "description": self.description, "parameters": flat}


def openai_tool_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """The fields of :meth:`Tool.from_openai` as a plain dict, not validated."""
    fn = spec.get("function", spec) if spec.get("type", "function") == "function" else spec
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    fields = {"name": fn["name"], "description": fn.get("description", "") or "", "parameters": _json_copy(params)}
    if fn.get("returns") is not None:
        fields["returns"] = _json_copy(fn["returns"])
    return fields


def _is_nested_schema(flat: dict[str, Any]) -> bool:
    return flat.get("type") in ("object", "dict") and isinstance(flat.get("properties"), dict)


def xlam_v1_tool_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """The fields of :meth:`Tool.from_xlam_v1` as a plain dict, not validated."""
    flat = spec.get("parameters") or {}
    if _is_nested_schema(flat):
        # Some sources already use a nested schema; accept it as JSON Schema.
        return openai_tool_fields({"name": spec["name"], "description": spec.get("description", ""), "parameters": {
            **flat, "type": "object"}})
    flagged = any(isinstance(p, dict) and "required" in p for p in flat.values())
    properties: dict[str, Any] = {}
    required: list[str] = []
    for pname, pspec in flat.items():
        pspec = dict(pspec) if isinstance(pspec, dict) else {"description": str(pspec)}
        raw_type = pspec.pop("type", None)
        flag = pspec.pop("required", None)
        prop: dict[str, Any] = {}
        if raw_type is not None:
            json_type, items = _python_type_to_json(str(raw_type))
            prop["type"] = json_type
            if items is not None:
                prop["items"] = items
            if raw_type != json_type or items is not None:
                prop["x-xlam-type"] = raw_type
        prop.update(pspec)
        if flag is not None:
            prop["x-xlam-required"] = flag
        properties[pname] = prop
        is_required = bool(flag) if flagged else (
            "default" not in pspec and "optional" not in str(raw_type or "").lower()
        )
        if is_required:
            required.append(pname)
    params: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        params["required"] = required
    params["x-xlam-flat"] = {"required_flags": flagged}
    return {"name": spec["name"], "description": spec.get("description", "") or "", "parameters": params}


def bfcl_tool_fields(spec: dict[str, Any], language: BfclLanguage = "python") -> dict[str, Any]:
    """The fields of :meth:`Tool.from_bfcl` as a plain dict, not validated (validate them once,
    e.g. inside ``Record.model_validate``: converters on hot paths build whole records as dicts)."""
    params = spec.get("parameters") or {"type": "dict", "properties": {}}
    converted = _bfcl_schema_to_json(params, language, top=True)
    if "response" in spec:
        converted.setdefault("x-bfcl-response", _json_copy(spec["response"]))
    return {"name": spec["name"], "description": spec.get("description", "") or "", "parameters": converted}


def _json_copy(value: Any) -> Any:
    """Deep copy of a JSON value (dicts, lists, scalars): several times faster than ``copy.deepcopy``."""
    # Scalars are returned as they are without a call per element (enum lists, required lists).
    if isinstance(value, dict):
        return {k: _json_copy(v) if isinstance(v, _CONTAINERS) else v for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) if isinstance(v, _CONTAINERS) else v for v in value]
    return value


def _strip_extensions(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_extensions(v) for k, v in schema.items() if not str(k).startswith("x-")}
    if isinstance(schema, list):
        return [_strip_extensions(v) for v in schema]
    return schema


def _bfcl_schema_to_json(schema: dict[str, Any], language: BfclLanguage, *, top: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            original = str(value)
            if top:
                json_type = "object"
            elif language != "python":
                # BFCL: Java/JavaScript argument values are source-code strings.
                json_type = "string"
            else:
                json_type = _BFCL_TO_JSON.get(original, "string")
            out["type"] = json_type
            canonical = "dict" if top else _JSON_TO_BFCL.get(json_type)
            if original != canonical:
                out["x-bfcl-type"] = original
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _bfcl_schema_to_json(sub, language) for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = _bfcl_schema_to_json(value, language)
        else:
            out[key] = _json_copy(value) if isinstance(value, _CONTAINERS) else value
    if language != "python" and top:
        out["x-bfcl-language"] = language
    return out


def _json_schema_to_bfcl(schema: dict[str, Any], *, top: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    original = schema.get("x-bfcl-type")
    for key, value in schema.items():
        if key in ("x-bfcl-type", "x-bfcl-language"):
            continue
        if key == "type":
            out["type"] = original if original is not None else ("dict" if top else _JSON_TO_BFCL.get(value, value))
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _json_schema_to_bfcl(sub) for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = _json_schema_to_bfcl(value)
        else:
            out[key] = _json_copy(value)
    return out


_GENERIC = re.compile(r"^(?:typing\.)?(list|List|tuple|Tuple|set|Set|Sequence|Iterable)\[(.+)\]$")


def _python_type_to_json(raw: str) -> tuple[str, dict[str, Any] | None]:
    """Map a Python-ish type string (``"str, optional"``, ``"List[int]"``, ``"Optional[float]"``)."""
    text = raw.split(",")[0].strip() if "[" not in raw else raw.replace(", optional", "").strip()
    if text.startswith("Optional[") and text.endswith("]"):
        text = text[len("Optional[") : -1]
    match = _GENERIC.match(text)
    if match:
        inner, _ = _python_type_to_json(match.group(2))
        return "array", {"type": inner}
    base = text.split("[")[0].strip().lower().removeprefix("typing.")
    if base in ("dict", "mapping"):
        return "object", None
    return _PY_TO_JSON.get(base, "string"), None
