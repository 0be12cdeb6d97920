"""Harvest executable tools from Python callables by introspection.

:func:`tool_from_callable` reads a function's signature, type hints (``Annotated`` pydantic
``Field`` constraints, ``Literal``/``Enum`` choices, containers, ``X | None``) and its docstring
(Google, NumPy or reST style, via ``docstring_parser``) and builds the tool's JSON Schema:
types, per-parameter descriptions, enums, ranges, lengths, formats, examples, defaults and the
required list. :func:`default_registry` turns the built-in catalog (``xlam.tools.catalog``, one
module per category) into a :class:`~xlam.tools.ToolRegistry` of executable tools,
:func:`domain_registry` does the same for the domain catalog (``xlam.tools.catalog.domains``), and
:func:`registry_from_module` does the same for any user module.
"""

from __future__ import annotations

import copy
import enum
import functools
import importlib
import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any

import docstring_parser
from pydantic import TypeAdapter

from xlam.records import Tool
from xlam.tools.registry import ExecutableTool, ToolRegistry

_DROP_KEYS = {"title"}
_JSON_SCALARS = (str, int, float, bool, type(None))


def _inline_refs(schema: Any, defs: dict[str, Any]) -> Any:
    """Replace ``{"$ref": "#/$defs/X"}`` by the definition (pydantic emits them for Enums/models)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = defs.get(ref.rsplit("/", 1)[-1], {})
            merged = {**_inline_refs(target, defs), **{k: v for k, v in schema.items() if k != "$ref"}}
            return _inline_refs(merged, defs)
        return {k: _inline_refs(v, defs) for k, v in schema.items() if k != "$defs" and k not in _DROP_KEYS}
    if isinstance(schema, list):
        return [_inline_refs(v, defs) for v in schema]
    return schema


def _collapse_optional(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [T, null]`` -> ``T`` (``None`` is then the parameter's default, not a type)."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        non_null = [o for o in options if o != {"type": "null"}]
        if len(non_null) == 1 and len(non_null) < len(options):
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**_collapse_optional(non_null[0]), **rest}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _collapse_optional(schema[key])
    if isinstance(schema.get("properties"), dict):
        schema["properties"] = {k: _collapse_optional(v) for k, v in schema["properties"].items()}
    return schema


def annotation_to_schema(annotation: Any) -> dict[str, Any]:
    """JSON Schema of one parameter annotation (``{}`` when it has no JSON form)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}
    try:
        raw = TypeAdapter(annotation).json_schema(mode="validation")
    except Exception:
        return {}
    defs = raw.get("$defs", {})
    return _collapse_optional(_inline_refs(raw, defs))


def _json_default(value: Any) -> tuple[bool, Any]:
    """(representable, JSON value) for a parameter default."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, _JSON_SCALARS):
        return True, value
    if isinstance(value, list | tuple) and all(isinstance(v, _JSON_SCALARS) for v in value):
        return True, list(value)
    return False, None


def _describe(doc: docstring_parser.Docstring) -> str:
    parts = [doc.short_description or ""]
    if doc.long_description:
        parts.append(doc.long_description.split("\n\n", 1)[0].replace("\n", " "))
    return " ".join(p.strip() for p in parts if p and p.strip())


def tool_from_callable(fn: Callable[..., Any], category: str = "", *, name: str | None = None) -> Tool:
    """The :class:`Tool` spec of ``fn`` (what :meth:`ToolRegistry.from_module` and records use).

    ``category`` is accepted for symmetry with :func:`executable_from_callable` (the spec itself
    has no category). Variadic parameters (``*args``/``**kwargs``) are not expressible as JSON
    keyword arguments and are skipped.
    """
    del category
    doc = docstring_parser.parse(inspect.getdoc(fn) or "")
    arg_docs = {p.arg_name.split()[0].lstrip("*"): p.description or "" for p in doc.params}
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for pname, param in inspect.signature(fn).parameters.items():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(pname, param.annotation)
        prop = annotation_to_schema(annotation)
        has_default = param.default is not inspect.Parameter.empty
        if not prop.get("type") and "enum" not in prop and "anyOf" not in prop:
            # No usable annotation: infer from the default, else accept a string.
            sample = param.default if has_default and param.default is not None else ""
            prop = {**annotation_to_schema(type(sample)), **prop}
        described = arg_docs.get(pname, "").strip()
        if described:
            prop["description"] = " ".join(described.split())
        if has_default:
            ok, value = _json_default(param.default)
            if ok:
                prop["default"] = value
        else:
            required.append(pname)
        properties[pname] = prop
    params: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        params["required"] = required
    returns = annotation_to_schema(hints.get("return", inspect.Parameter.empty)) or None
    if returns is not None and doc.returns is not None and doc.returns.description:
        returns["description"] = " ".join(doc.returns.description.split())
    return Tool(name=name or fn.__name__, description=_describe(doc), parameters=params, returns=returns)


def executable_from_callable(fn: Callable[..., Any], category: str = "") -> ExecutableTool:
    """An :class:`ExecutableTool` for a module-level function (importable as ``module:qualname``)."""
    target = f"{fn.__module__}:{fn.__qualname__}"
    if "<" in fn.__qualname__:
        raise ValueError(f"{fn.__qualname__} is not importable (lambda or nested function); define it at module level")
    module_category = getattr(inspect.getmodule(fn), "CATEGORY", "")
    return ExecutableTool(
        tool=tool_from_callable(fn), kind="python", target=target,
        category=category or module_category or fn.__module__.rsplit(".", 1)[-1],
    )


def public_functions(module_path: str, *, annotated_only: bool = True) -> list[Callable[..., Any]]:
    """Public functions defined in ``module_path`` itself (not imported into it), in source order."""
    module = importlib.import_module(module_path)  # plugin loading: a tool module named by the user
    out: list[Callable[..., Any]] = []
    for fname, fn in vars(module).items():
        if fname.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
            continue
        if annotated_only and not any(
            p.annotation is not inspect.Parameter.empty for p in inspect.signature(fn).parameters.values()
        ):
            continue
        out.append(fn)
    return out


def registry_from_module(module_path: str, *, category: str = "", annotated_only: bool = True) -> ToolRegistry:
    """A registry of every public (annotated) function of a module; ``category`` defaults to the
    module's ``CATEGORY`` attribute or its last dotted name."""
    return ToolRegistry(executable_from_callable(fn, category) for fn in public_functions(module_path,
                                                                                       annotated_only=annotated_only))


def registry_from_modules(module_paths: Iterable[str]) -> ToolRegistry:
    registry = ToolRegistry()
    for path in module_paths:
        registry.merge(registry_from_module(path))
    return registry


@functools.lru_cache(maxsize=1)
def _default_tools() -> tuple[ExecutableTool, ...]:
    from xlam.tools.catalog import CATALOG_MODULES

    return tuple(registry_from_modules(CATALOG_MODULES))


def default_registry() -> ToolRegistry:
    """The built-in catalog: 150+ executable tools over math, statistics, dates, text, JSON, regex,
    collections, units, finance, geometry, linear algebra (numpy) and scientific computing (scipy).
    Each call returns a fresh registry (callers may add tools to it)."""
    return ToolRegistry(copy.deepcopy(t) for t in _default_tools())


@functools.lru_cache(maxsize=1)
def _domain_tools() -> tuple[ExecutableTool, ...]:
    from xlam.tools.catalog.domains import DOMAIN_MODULES

    return tuple(registry_from_modules(DOMAIN_MODULES))


def domain_registry() -> ToolRegistry:
    """The domain catalog (``xlam.tools.catalog.domains``): 250+ executable tools over everyday and
    knowledge domains (hotels, travel, restaurants, movies, sports, weather, history, chemistry, law,
    health, shopping...) that run over seeded synthetic data. Each call returns a fresh registry."""
    return ToolRegistry(copy.deepcopy(t) for t in _domain_tools())


def categories(registry: ToolRegistry) -> dict[str, list[str]]:
    """Tool names grouped by category, in registry order."""
    out: dict[str, list[str]] = {}
    for tool in registry:
        out.setdefault(tool.category or "uncategorized", []).append(tool.name)
    return out


__all__ = [
    "annotation_to_schema",
    "categories",
    "default_registry",
    "domain_registry",
    "executable_from_callable",
    "public_functions",
    "registry_from_module",
    "registry_from_modules",
    "tool_from_callable",
]
