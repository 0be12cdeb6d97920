"""A registry of executable tools: a tool spec plus how to run it (Python callable or REST call)."""

from __future__ import annotations

import importlib
import inspect
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from xlam.datasets.storage import resolve
from xlam.errors import RecordError
from xlam.records import Tool

ToolKind = Literal["python", "rest"]


class ExecutableTool(BaseModel):
    """A tool that can be run: ``python`` tools name a ``"pkg.module:function"`` target; ``rest``
    tools carry an ``endpoint`` (method, base_url, path, query/body mapping)."""

    model_config = ConfigDict(extra="forbid")

    tool: Tool
    kind: ToolKind = "python"
    target: str = Field(default="", description="'pkg.module:function' for python tools.")
    endpoint: dict[str, Any] | None = Field(default=None, description="REST call description for rest tools.")
    category: str = Field(default="", description="Domain, e.g. 'math' or 'weather'.")

    @model_validator(mode="after")
    def _target_for_kind(self) -> ExecutableTool:
        if self.kind == "python" and not re.fullmatch(r"[\w.]+:[\w.]+", self.target):
            raise ValueError(
                f"python tool {self.tool.name!r} needs target 'pkg.module:function', got {self.target!r}"
            )
        if self.kind == "rest" and not self.endpoint:
            raise ValueError(f"rest tool {self.tool.name!r} needs an endpoint")
        return self

    @property
    def name(self) -> str:
        return self.tool.name

    def load(self) -> Callable[..., Any]:
        """Import the python target (in the calling process; the sandbox does this in its child)."""
        module_name, _, attr = self.target.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        if not callable(obj):
            raise TypeError(f"{self.target} is not callable")
        return typing.cast(Callable[..., Any], obj)


class ToolRegistry:
    """Executable tools by name. Iterating yields :class:`ExecutableTool` in insertion order."""

    def __init__(self, tools: Iterable[ExecutableTool] = ()) -> None:
        self._tools: dict[str, ExecutableTool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: ExecutableTool, *, replace: bool = False) -> None:
        if tool.name in self._tools and not replace:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def get(self, name: str) -> ExecutableTool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def tools(self) -> list[Tool]:
        """The tool specs (what a record's ``tools`` holds)."""
        return [t.tool for t in self._tools.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[ExecutableTool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def merge(self, other: ToolRegistry, *, replace: bool = False) -> ToolRegistry:
        for tool in other:
            self.add(tool, replace=replace)
        return self

    # --- persistence -------------------------------------------------------------------------
    def to_jsonl(self, uri: str) -> None:
        """Write one ExecutableTool JSON object per line (any fsspec URI)."""
        fs, path = resolve(uri)
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent:
            fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as fh:
            for tool in self._tools.values():
                fh.write(tool.model_dump_json(exclude_none=True).encode() + b"\n")

    @classmethod
    def from_jsonl(cls, uri: str) -> ToolRegistry:
        """Read a registry written by :meth:`to_jsonl`; bad lines raise :class:`RecordError`."""
        from pydantic import ValidationError

        from xlam.errors import pydantic_field_path

        fs, path = resolve(uri)
        registry = cls()
        with fs.open(path, "rb") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    registry.add(ExecutableTool.model_validate(orjson.loads(line)))
                except orjson.JSONDecodeError as exc:
                    raise RecordError(uri, lineno, "", f"invalid JSON: {exc}") from exc
                except ValidationError as exc:
                    err = exc.errors()[0]
                    raise RecordError(
                        uri, lineno, pydantic_field_path(tuple(err["loc"])), err["msg"]
                    ) from exc
                except ValueError as exc:
                    raise RecordError(uri, lineno, "tool.name", str(exc)) from exc
        return registry

    @classmethod
    def from_module(cls, module_path: str, *, category: str = "") -> ToolRegistry:
        """Every public function defined in ``module_path`` (not imported into it), with a schema
        from its signature, type hints and Google-style docstring."""
        module = importlib.import_module(module_path)
        registry = cls()
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            registry.add(
                ExecutableTool(
                    tool=tool_from_callable(fn),
                    kind="python",
                    target=f"{module.__name__}:{name}",
                    category=category or module.__name__.rsplit(".", 1)[-1],
                )
            )
        return registry

    @classmethod
    def load(cls, spec: str) -> ToolRegistry:
        """A registry from a JSONL file/URI, or ``module:<dotted.module>`` for :meth:`from_module`."""
        if spec.startswith("module:"):
            return cls.from_module(spec.removeprefix("module:"))
        return cls.from_jsonl(spec)


# --- introspection ---------------------------------------------------------------------------
_SIMPLE = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    tuple: "array",
    set: "array",
}


def annotation_schema(annotation: Any) -> dict[str, Any]:
    """JSON Schema for a Python annotation (``int``, ``list[str]``, ``Literal[...]``, ``X | None``)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        values = list(args)
        schema = annotation_schema(type(values[0])) if values else {}
        return {**schema, "enum": values}
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return annotation_schema(non_none[0]) if len(non_none) == 1 else {}
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple, set):
        items = annotation_schema(args[0]) if args and args[0] is not Ellipsis else {}
        return {"type": "array", **({"items": items} if items else {})}
    if origin is dict or annotation is dict:
        return {"type": "object"}
    if isinstance(annotation, type) and annotation in _SIMPLE:
        return {"type": _SIMPLE[annotation]}
    return {}


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(summary, {arg: description}) from a Google-style docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    section = "summary"
    current = ""
    for line in lines:
        stripped = line.strip()
        if re.fullmatch(r"(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?):", stripped):
            section = stripped[:-1].lower()
            continue
        if section == "summary":
            if not stripped and summary:
                section = "description-done"
            elif stripped:
                summary.append(stripped)
        elif section in ("args", "arguments", "parameters"):
            match = re.match(r"^(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$", stripped)
            if match and not line.startswith(" " * 8):
                current = match.group(1)
                args[current] = match.group(3)
            elif current and stripped:
                args[current] = (args[current] + " " + stripped).strip()
    return " ".join(summary), args


def tool_from_callable(fn: Callable[..., Any], category: str = "") -> Tool:
    """A :class:`Tool` spec for ``fn``. Prefers SYNTH's ``xlam.tools.harvest.tool_from_callable``
    when it is installed, so every registry describes callables the same way."""
    try:
        harvest = importlib.import_module("xlam.tools.harvest")
    except ImportError:
        harvest = None
    if harvest is not None and hasattr(harvest, "tool_from_callable"):
        return typing.cast(Tool, harvest.tool_from_callable(fn, category))
    summary, arg_docs = parse_docstring(fn.__doc__ or "")
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for pname, param in inspect.signature(fn).parameters.items():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        prop = annotation_schema(hints.get(pname, param.annotation))
        if pname in arg_docs:
            prop["description"] = arg_docs[pname]
        if param.default is inspect.Parameter.empty:
            required.append(pname)
        elif param.default is None or isinstance(param.default, str | int | float | bool):
            prop["default"] = param.default
        properties[pname] = prop
    params: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        params["required"] = required
    returns = annotation_schema(hints.get("return", inspect.Parameter.empty)) or None
    return Tool(name=fn.__name__, description=summary, parameters=params, returns=returns)
