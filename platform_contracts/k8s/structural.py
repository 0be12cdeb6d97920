"""A pydantic model's JSON schema as a Kubernetes *structural* OpenAPI v3 schema (for a CRD).

Kubernetes accepts a CRD schema only when it is structural: every node states a ``type`` (or
``x-kubernetes-preserve-unknown-fields``), no ``$ref``, no ``type: null``, no ``additionalProperties``
beside ``properties``, and ``anyOf``/``oneOf`` only as extra checks over a typed node, never to carry
the types themselves. :func:`structural` rewrites ``Model.model_json_schema()`` into that form:

- ``$ref`` / ``$defs`` are inlined (recursive models become a free-form object);
- ``anyOf: [X, {type: null}]`` (``X | None``) becomes ``X`` with ``nullable: true``;
- ``Literal`` / ``enum`` / ``const`` become ``enum`` with its ``type``;
- any other union (a discriminated union, ``int | str``, ...) becomes a free-form node
  (``x-kubernetes-preserve-unknown-fields``; an object when every member is one) and says so in its
  description: pydantic checks it when the run starts;
- ``dict[str, Any]`` (``additionalProperties: true``) is a free-form object, a typed map keeps
  ``additionalProperties``; a model's ``additionalProperties: false`` (``extra="forbid"``) is dropped:
  the API server prunes unknown fields, it cannot reject them;
- tuples (``prefixItems``) become an array of their common item type;
- draft-2020 ``exclusiveMinimum: n`` becomes ``minimum: n, exclusiveMinimum: true`` (OpenAPI v3.0);
- ``description``, ``minimum``/``maximum``, ``minLength``/``maxLength``, ``pattern``,
  ``minItems``/``maxItems`` are kept; ``title``, ``default`` and the rest are dropped. Defaults stay
  with pydantic: an API-server default would fill every field into the stored resource, and the
  operator fills planner recommendations only where the config is silent.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

KEEP = ("description", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "format")
PRESERVE = "x-kubernetes-preserve-unknown-fields"
FREE_FORM_NOTE = "Not typed in the CRD (a union): checked by pydantic when the run starts."
_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def structural(model_schema: Schema) -> Schema:
    """The structural schema of ``model_schema`` (the output of ``Model.model_json_schema()``)."""
    return _convert(model_schema, model_schema.get("$defs") or {}, ())


def _deref(node: Schema, defs: dict[str, Schema], seen: tuple[str, ...]) -> tuple[Schema, tuple[str, ...]]:
    while "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        if name in seen:  # recursion: a structural schema is finite
            kept = {"description": node["description"]} if "description" in node else {}
            return {"type": "object", PRESERVE: True, **kept}, seen
        seen = (*seen, name)
        node = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node, seen


def _enum_type(values: list[Any]) -> str | None:
    types = {_JSON_TYPES.get(type(v)) for v in values}
    if types == {"integer", "number"}:
        return "number"
    return types.pop() if len(types) == 1 and None not in types else None


def _free_form(node: Schema, members: list[Schema]) -> Schema:
    out: Schema = {PRESERVE: True}
    if members and all(m.get("type") == "object" for m in members):
        out["type"] = "object"
    note = FREE_FORM_NOTE
    out["description"] = f"{node['description']} ({note})" if node.get("description") else note
    return out


def _convert(node: Schema, defs: dict[str, Schema], seen: tuple[str, ...]) -> Schema:
    node, seen = _deref(node, defs, seen)
    if node.get(PRESERVE) and "properties" not in node:
        kept: Schema = {k: node[k] for k in ("type", "description") if k in node}
        return {**kept, PRESERVE: True}
    union = node.get("anyOf") or node.get("oneOf")
    if union:
        members = [_deref(m, defs, seen) for m in union]  # (member, the refs followed to reach it)
        non_null = [(m, s) for m, s in members if m.get("type") != "null"]
        if len(non_null) == 1:
            member, member_seen = non_null[0]
            merged = {**member, **{k: v for k, v in node.items() if k not in ("anyOf", "oneOf", "discriminator")}}
            converted = _convert(merged, defs, member_seen)
        else:
            converted = _free_form(node, [_convert(m, defs, s) for m, s in non_null])
        if len(non_null) < len(members):
            converted["nullable"] = True
        return converted
    out: Schema = {}
    enum = node.get("enum")
    if "const" in node:
        enum = [node["const"]]
    if enum is not None:
        non_null_values = [v for v in enum if v is not None]
        enum_type = node.get("type") if isinstance(node.get("type"), str) else _enum_type(non_null_values)
        if enum_type is None:
            return _free_form(node, [])
        out.update(type=enum_type, enum=non_null_values)
        if len(non_null_values) < len(enum):
            out["nullable"] = True
    else:
        kind = node.get("type")
        if isinstance(kind, list):  # ["string", "null"]
            types = [t for t in kind if t != "null"]
            if len(types) != 1:
                return _free_form(node, [])
            if len(types) < len(kind):
                out["nullable"] = True
            kind = types[0]
        if kind is None:  # Any
            return {PRESERVE: True, **({"description": node["description"]} if "description" in node else {})}
        out["type"] = kind
        if kind == "object":
            _object(node, out, defs, seen)
        elif kind == "array":
            _array(node, out, defs, seen)
    for key in KEEP:
        if key in node:
            out[key] = node[key]
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        bound = node.get(key)
        if isinstance(bound, bool):
            out[key] = bound
        elif isinstance(bound, (int, float)):
            limit = "minimum" if key == "exclusiveMinimum" else "maximum"
            if limit not in node or (bound >= node[limit] if limit == "minimum" else bound <= node[limit]):
                out[limit] = bound
                out[key] = True
    return out


def _object(node: Schema, out: Schema, defs: dict[str, Schema], seen: tuple[str, ...]) -> None:
    props = node.get("properties") or {}
    extra = node.get("additionalProperties")
    if props:
        out["properties"] = {k: _convert(v, defs, seen) for k, v in props.items()}
        if node.get("required"):
            out["required"] = list(node["required"])
        if extra not in (None, False):  # extra="allow": known fields typed, the rest kept as written
            out[PRESERVE] = True
    elif isinstance(extra, dict) and extra:
        out["additionalProperties"] = _convert(extra, defs, seen)
    else:  # dict[str, Any], a bare dict, an empty model
        out[PRESERVE] = True


def _array(node: Schema, out: Schema, defs: dict[str, Schema], seen: tuple[str, ...]) -> None:
    items = node.get("items")
    prefix = node.get("prefixItems")
    if prefix and not items:
        converted = [_convert(p, defs, seen) for p in prefix]
        same = all(c == converted[0] for c in converted)
        out["items"] = converted[0] if same else _free_form({}, [])
    elif isinstance(items, dict) and items:
        out["items"] = _convert(items, defs, seen)
    else:  # list[Any]
        out["items"] = {PRESERVE: True}


def structural_errors(schema: Schema, path: str = "") -> list[str]:
    """Where ``schema`` breaks the rules of a Kubernetes structural schema (empty when it keeps them)."""
    errors: list[str] = []
    where = path or "<root>"
    allowed = {"type", "properties", "required", "items", "additionalProperties", "description", "nullable",
               "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
               "pattern", "minItems", "maxItems", "format", "default", PRESERVE, "x-kubernetes-int-or-string",
               "x-kubernetes-validations", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
               "x-kubernetes-map-type", "x-kubernetes-embedded-resource"}
    if schema.get("x-kubernetes-int-or-string"):
        allowed = allowed | {"anyOf"}  # the one union Kubernetes types itself: [integer, string]
    for key in schema:
        if key not in allowed:
            errors.append(f"{where}: keyword {key!r} is not allowed")
    if "type" not in schema and not schema.get(PRESERVE) and not schema.get("x-kubernetes-int-or-string"):
        errors.append(f"{where}: no type")
    if schema.get("type") not in (None, "object", "array", "string", "integer", "number", "boolean"):
        errors.append(f"{where}: type {schema.get('type')!r}")
    if "properties" in schema and "additionalProperties" in schema:
        errors.append(f"{where}: properties and additionalProperties together")
    if schema.get("additionalProperties") is False or schema.get("additionalProperties") is True:
        errors.append(f"{where}: additionalProperties must be a schema")
    if "enum" in schema and any(v is None for v in schema["enum"]):
        errors.append(f"{where}: null in enum")
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if key in schema and not isinstance(schema[key], bool):
            errors.append(f"{where}: {key} must be a boolean")
    if schema.get("type") == "array" and "items" not in schema:
        errors.append(f"{where}: array without items")
    for name, sub in (schema.get("properties") or {}).items():
        errors += structural_errors(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        errors += structural_errors(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        errors += structural_errors(schema["additionalProperties"], f"{path}{{}}")
    return errors
