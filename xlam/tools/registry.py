"""A registry of executable tools: a tool spec plus how to run it (Python callable or REST call)."""

from __future__ import annotations

import importlib
import re
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
        obj: Any = importlib.import_module(module_name)  # plugin loading: the tool's ``module:attr`` target
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
        """Every public function defined in ``module_path``, described by introspection
        (:func:`xlam.tools.harvest.registry_from_module`)."""
        from xlam.tools.harvest import registry_from_module

        return registry_from_module(module_path, category=category, annotated_only=False)

    @classmethod
    def load(cls, spec: str) -> ToolRegistry:
        """A registry from a JSONL file/URI, or ``module:<dotted.module>`` for :meth:`from_module`."""
        if spec.startswith("module:"):
            return cls.from_module(spec.removeprefix("module:"))
        return cls.from_jsonl(spec)
