"""The tool library synthesis samples from: executable tools (registry) and spec-only tools.

Sources (:func:`load_tool_library`): ``default`` (the built-in computational catalog), ``domains``
(the domain catalog of :mod:`xlam.tools.catalog.domains`: hotels, travel, sports, history...),
several sources joined by ``+`` (``default+domains``: their tools together), ``module:pkg.mod`` or a
dotted module path (public annotated functions), an OpenAPI 3 JSON/YAML file (REST tools), a
registry JSONL file (``*.jsonl``), or a unified dataset URI (the tools its records offer; those
are not executable, so their samples get format and semantic checks only).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from xlam.records import Tool
from xlam.tools.registry import ExecutableTool, ToolRegistry


@dataclass(frozen=True)
class LibraryTool:
    """One tool: its spec, its category, and how to run it (``None``: not executable)."""

    tool: Tool
    category: str
    executable: ExecutableTool | None = None

    @property
    def name(self) -> str:
        return self.tool.name


@dataclass
class ToolLibrary:
    """Tools grouped by category, with the registry of the executable ones."""

    entries: list[LibraryTool]
    source: str = ""
    registry: ToolRegistry = field(default_factory=ToolRegistry)

    def __post_init__(self) -> None:
        if not self.entries:
            raise ValueError(f"tool library {self.source!r} is empty")
        self.by_name = {e.name: e for e in self.entries}
        self.by_category: dict[str, list[LibraryTool]] = {}
        for entry in self.entries:
            self.by_category.setdefault(entry.category, []).append(entry)
        for entry in self.entries:
            if entry.executable is not None and entry.name not in self.registry:
                self.registry.add(entry.executable)

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_registry(cls, registry: ToolRegistry, source: str = "registry") -> ToolLibrary:
        return cls([LibraryTool(t.tool, t.category or "general", t) for t in registry], source, ToolRegistry())

    @classmethod
    def from_tools(cls, tools: Iterable[Tool], category: str = "dataset", source: str = "tools") -> ToolLibrary:
        seen: dict[str, LibraryTool] = {}
        for tool in tools:
            seen.setdefault(tool.name, LibraryTool(tool, category))
        return cls(list(seen.values()), source)

    def sample(self, rng: random.Random, k: int, *, mixed: bool, exclude: Sequence[str] = (),
               require: LibraryTool | None = None) -> list[LibraryTool]:
        """``k`` distinct tools: from one category (``require``'s, or a random one with enough
        tools) unless ``mixed``; ``require`` is always included."""
        banned = set(exclude)
        chosen: list[LibraryTool] = [require] if require is not None else []
        banned.update(t.name for t in chosen)
        if mixed:
            pool = [e for e in self.entries if e.name not in banned]
        else:
            category = require.category if require is not None else rng.choice(
                [c for c, v in self.by_category.items() if len(v) >= k] or list(self.by_category))
            pool = [e for e in self.by_category[category] if e.name not in banned]
            if len(pool) < k - len(chosen):
                pool += [e for e in self.entries if e.name not in banned and e.category != category]
        chosen += rng.sample(pool, min(len(pool), max(0, k - len(chosen))))
        return chosen

    def outside(self, categories: Iterable[str]) -> list[LibraryTool]:
        banned = set(categories)
        return [e for e in self.entries if e.category not in banned]

    def near_misses(self, entry: LibraryTool) -> list[LibraryTool]:
        """The other tools of ``entry``'s category that cannot answer a request meant for it: none of
        ``entry``'s stand-ins (``stand_ins.json``: ``lcm_of_list`` answers a request for
        ``least_common_multiple``, so offering it alone is not a case for a refusal)."""
        serving = stand_ins().get(entry.name, frozenset())
        return [e for e in self.by_category.get(entry.category, []) if e.name != entry.name and e.name not in serving]


@functools.cache
def stand_ins() -> dict[str, frozenset[str]]:
    """Tool name -> the catalog tools that can answer a request meant for it (``stand_ins.json``'s groups)."""
    raw = json.loads(resources.files("xlam.synthesis").joinpath("stand_ins.json").read_text(encoding="utf-8"))
    serving: dict[str, set[str]] = {}
    for group in raw["groups"]:
        for name in group:
            serving.setdefault(name, set()).update(n for n in group if n != name)
    return {name: frozenset(others) for name, others in serving.items()}


def combine_libraries(libraries: Sequence[ToolLibrary], source: str) -> ToolLibrary:
    """One library of the tools of several, in order; a tool name offered twice is an error."""
    entries: list[LibraryTool] = []
    seen: dict[str, str] = {}
    for library in libraries:
        for entry in library.entries:
            if entry.name in seen:
                raise ValueError(f"tools source {source!r}: tool {entry.name!r} is in both {seen[entry.name]!r} "
                                 f"and {library.source!r}")
            seen[entry.name] = library.source
            entries.append(entry)
    return ToolLibrary(entries, source)


def load_tool_library(spec: str | ToolRegistry | ToolLibrary, *, base_url: str | None = None) -> ToolLibrary:
    """Resolve a tools source (see the module docstring) into a :class:`ToolLibrary`."""
    if isinstance(spec, ToolLibrary):
        return spec
    if isinstance(spec, ToolRegistry):
        return ToolLibrary.from_registry(spec)
    from xlam.tools import harvest

    if spec == "default":
        return ToolLibrary.from_registry(harvest.default_registry(), "default")
    if spec == "domains":
        return ToolLibrary.from_registry(harvest.domain_registry(), "domains")
    if "+" in spec and not Path(spec).exists():
        return combine_libraries([load_tool_library(part.strip(), base_url=base_url) for part in spec.split("+")], spec)
    if spec.startswith("module:"):
        return ToolLibrary.from_registry(harvest.registry_from_module(spec.removeprefix("module:")), spec)
    path = Path(spec)
    if path.suffix in (".json", ".yaml", ".yml") and path.is_file():
        from xlam.tools.openapi import registry_from_openapi

        return ToolLibrary.from_registry(registry_from_openapi(path, base_url=base_url), spec)
    if path.suffix == ".jsonl" and path.is_file():
        return ToolLibrary.from_registry(ToolRegistry.from_jsonl(spec), spec)
    from xlam.datasets import dataset_exists, read_records

    if dataset_exists(spec):
        tools = (t for record in read_records(spec) for t in record.tools)
        return ToolLibrary.from_tools(tools, category="dataset", source=spec)
    if "/" not in spec and importlib.util.find_spec(spec.split(".")[0]) is not None:
        return ToolLibrary.from_registry(harvest.registry_from_module(spec), spec)
    raise ValueError(
        f"unknown tools source {spec!r}: use 'default', 'domains', 'module:pkg.mod', an OpenAPI .json/.yaml file, "
        "a registry .jsonl file, a dataset URI, or several joined by '+' (default+domains)"
    )


__all__ = ["LibraryTool", "ToolLibrary", "combine_libraries", "load_tool_library"]
