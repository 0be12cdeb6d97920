"""OpenAPI 3 documents -> REST tools (one tool per operation).

Each operation becomes an :class:`~xlam.tools.ExecutableTool` of kind ``rest``: its parameters
(path, query, header) and its JSON/form request-body properties become the tool's JSON Schema
(``$ref`` resolved), its ``operationId`` (or ``<method>_<path>``) the tool name, its summary and
description the tool description. Execution goes through :func:`xlam.tools.rest.invoke`, which
only reaches allow-listed base URLs.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml

from xlam.records import Tool
from xlam.tools.registry import ExecutableTool, ToolRegistry

_METHODS = ("get", "post", "put", "patch", "delete")
_SCHEMA_KEEP = {"type", "description", "enum", "default", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "minLength", "maxLength", "pattern", "format", "items", "properties",
                "required", "minItems", "maxItems", "examples", "additionalProperties", "anyOf", "oneOf"}


class OpenAPIError(ValueError):
    """The document is not a usable OpenAPI 3 document."""


def load_document(source: str | Path | dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI document from a dict, a JSON/YAML file path or a JSON/YAML string."""
    if isinstance(source, dict):
        return source
    text = str(source)
    if not text.lstrip().startswith(("{", "openapi", "swagger")) and Path(text).exists():
        text = Path(text).read_text()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3"):
        raise OpenAPIError("not an OpenAPI 3 document (missing 'openapi: 3.x')")
    return doc


def _resolve(node: Any, doc: dict[str, Any], depth: int = 0) -> Any:
    if depth > 20:
        raise OpenAPIError("$ref nesting too deep (recursive schema?)")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                raise OpenAPIError(f"only local $ref are supported, got {ref!r}")
            target: Any = doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve(target, doc, depth + 1)
        return {k: _resolve(v, doc, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, doc, depth + 1) for v in node]
    return node


def _clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in schema.items() if k in _SCHEMA_KEEP}
    if "example" in schema and "examples" not in out:
        out["examples"] = [schema["example"]]
    if isinstance(out.get("items"), dict):
        out["items"] = _clean_schema(out["items"])
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _clean_schema(v) for k, v in out["properties"].items()}
    return out


def _tool_name(op: dict[str, Any], method: str, path: str) -> str:
    name = op.get("operationId") or f"{method}_{path}"
    return re.sub(r"[^A-Za-z0-9_]+", "_", str(name)).strip("_") or f"{method}_op"


def operation_tools(doc: dict[str, Any], *, base_url: str | None = None, category: str = "") -> list[ExecutableTool]:
    """One REST tool per operation of ``doc``; ``base_url`` overrides ``servers[0].url``."""
    doc = load_document(doc)
    servers = doc.get("servers") or [{}]
    base = (base_url or servers[0].get("url") or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise OpenAPIError("no absolute base URL: pass base_url or set servers[0].url")
    api_category = category or re.sub(r"\W+", "_", str(doc.get("info", {}).get("title", "rest"))).strip("_").lower()
    tools: list[ExecutableTool] = []
    for path, item in (doc.get("paths") or {}).items():
        item = _resolve(item, doc)
        shared = item.get("parameters", [])
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            properties: dict[str, Any] = {}
            required: list[str] = []
            routes: dict[str, list[str]] = {"path_params": [], "query_params": [], "header_params": [], "body_params": []}
            for param in [*shared, *op.get("parameters", [])]:
                where = param.get("in")
                if where not in ("path", "query", "header"):
                    continue
                prop = _clean_schema(param.get("schema", {"type": "string"}))
                if param.get("description"):
                    prop["description"] = param["description"]
                properties[param["name"]] = prop
                routes[f"{where}_params"].append(param["name"])
                if param.get("required") or where == "path":
                    required.append(param["name"])
            body_kind = None
            content = (op.get("requestBody") or {}).get("content", {})
            for media, kind in (("application/json", "json"), ("application/x-www-form-urlencoded", "form")):
                schema = content.get(media, {}).get("schema")
                if isinstance(schema, dict):
                    body_kind = kind
                    for pname, prop in (schema.get("properties") or {}).items():
                        properties[pname] = _clean_schema(prop)
                        routes["body_params"].append(pname)
                    required += [r for r in schema.get("required", []) if r not in required]
                    break
            params: dict[str, Any] = {"type": "object", "properties": properties}
            if required:
                params["required"] = required
            description = " ".join(str(op.get(k, "")).strip() for k in ("summary", "description") if op.get(k))
            tool = Tool(name=_tool_name(op, method, path), description=description or f"{method.upper()} {path}",
                        parameters=params)
            endpoint = {"method": method.upper(), "base_url": base, "path": path, **routes, "body": body_kind}
            tools.append(ExecutableTool(tool=tool, kind="rest", endpoint=endpoint,
                                        category=(op.get("tags") or [api_category])[0]))
    if not tools:
        raise OpenAPIError("the document defines no operations")
    return tools


def registry_from_openapi(source: str | Path | dict[str, Any], *, base_url: str | None = None,
                          category: str = "") -> ToolRegistry:
    """A registry of the document's operations (see :func:`operation_tools`)."""
    return ToolRegistry(operation_tools(load_document(source), base_url=base_url, category=category))


def allow_list_for(registry: ToolRegistry) -> list[str]:
    """The base URLs of a registry's REST tools (what to pass as the allow list)."""
    return sorted({str(t.endpoint["base_url"]) for t in registry if t.kind == "rest" and t.endpoint})


__all__ = ["OpenAPIError", "allow_list_for", "load_document", "operation_tools", "registry_from_openapi"]
