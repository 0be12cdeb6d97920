"""Offline validation of custom resources against a CRD's ``openAPIV3Schema``.

What the API server would do before storing a custom resource, minus admission webhooks:
structural validation (jsonschema), defaulting (``default``), then the CEL
``x-kubernetes-validations`` rules (with ``cel-python`` when installed). Used by the tests and by
``platform_contracts.k8s.runs`` (the control plane's kubernetes backend) to reject a bad run before it reaches a cluster.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """Fill ``default``s the way the API server does (objects only; recursion into present fields)."""
    if isinstance(value, dict) and schema.get("type") == "object":
        out = dict(value)
        for key, sub in (schema.get("properties") or {}).items():
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = apply_defaults(sub, out[key])
        return out
    if isinstance(value, list) and "items" in schema:
        return [apply_defaults(schema["items"], v) for v in value]
    return value


def _cel_rules(schema: dict[str, Any], value: Any, path: str) -> list[tuple[str, str, str, Any]]:
    """(path, rule, message, self value) for every CEL rule that applies to ``value``."""
    out = [(path, r["rule"], r.get("message", r["rule"]), value) for r in schema.get("x-kubernetes-validations") or []]
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                out += _cel_rules(sub, value[key], f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            out += _cel_rules(schema["items"], v, f"{path}[{i}]")
    return out


def cel_available() -> bool:
    try:
        import celpy  # noqa: F401
    except ImportError:
        return False
    return True


def evaluate_cel(schema: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    """Errors of the CEL rules (empty when all hold). Raises ImportError without cel-python."""
    import celpy
    from celpy.adapter import json_to_cel

    env = celpy.Environment()
    errors = []
    for path, rule, message, value in _cel_rules(schema, obj, ""):
        result = env.program(env.compile(rule)).evaluate({"self": json_to_cel(value)})
        if isinstance(result, Exception) or not bool(result):
            errors.append(f"{path or '<root>'}: {message}")
    return errors


def draft7(schema: Any) -> Any:
    """An OpenAPI v3.0 schema as JSON Schema draft 7: ``nullable: true`` admits null, boolean
    ``exclusiveMinimum``/``exclusiveMaximum`` turn their ``minimum``/``maximum`` exclusive."""
    if isinstance(schema, list):
        return [draft7(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: draft7(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"):
            out[key] = draft7(value)
        else:
            out[key] = value
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(schema.get(flag), bool):
            del out[flag]
            if schema[flag] and bound in out:
                out[flag] = out.pop(bound)
    if out.pop("nullable", False):
        return {"anyOf": [{"type": "null"}, out]}
    return out


def validate(schema: dict[str, Any], obj: dict[str, Any], *, cel: bool = True) -> list[str]:
    """All validation errors of ``obj`` (structural first; CEL on the defaulted object)."""
    errors = [f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}"
              for e in jsonschema.Draft7Validator(draft7(schema)).iter_errors(obj)]
    if errors or not cel or not cel_available():
        return errors
    return evaluate_cel(schema, apply_defaults(schema, obj))
