"""What a run spec may name on the server: paths, modules, hosts, environment variables, endpoints.

The typed core configs (``xlam.*``) are shared with the CLI, where a user on a laptop may point a
generator at any ``base_url`` and read any file. A control-plane run executes with the platform's
network position and credentials, so its spec is checked here, field by field, on what the user
wrote (defaults are the server's):

- no field names a host or an environment variable (``base_url``, ``api_key_env``, ``*_env``,
  ``ray_address``, any ``http://``/``ray://``... value); OpenAI-compatible generators pick a
  platform endpoint by name (``endpoint``, configured by an admin in ``XLAM_GENERATOR_ENDPOINTS``);
- server-chosen locations (``output_dir``, ``checkpoint.storage_path``) cannot be set;
- every local path resolves inside the allowed roots or the project's own storage (never another
  project's), with no ``..`` segments, no ``~``; a dataset's shards stay inside its directory;
- every ``module:`` tool source, and every python target in a tool registry file, is one of the
  registered tool modules (``XLAM_TOOL_MODULES``), exactly.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import orjson

from services.api.errors import ApiError
from services.api.uris import check_dataset_confined, check_uri
from services.settings import Settings

# key -> why a run may not set it
FORBIDDEN_KEYS = {
    "base_url": "names a host; pick a platform generator endpoint by name with 'endpoint'",
    "api_key_env": "names an environment variable; endpoints bring their own credentials",
    "ray_address": "names a host; runs use the platform's Ray",
    "storage_path": "is chosen by the server (the run's directory)",
    "output_dir": "is chosen by the server (the run's directory)",
    "extra_headers": "generator headers are configured with the endpoint",
}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_TOOL_KEYS = {"tools", "tools_uri"}
MAX_REGISTRY_BYTES = 16 << 20


def _error(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"invalid request at {field}: {message}",
                    [{"field": field, "message": message}])


@lru_cache(maxsize=8)
def registered_tool_modules(names: tuple[str, ...]) -> frozenset[str]:
    """The configured tool modules and, for packages, their real submodules (found on disk, not imported)."""
    out: set[str] = set()
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        out.add(name)
        if spec.submodule_search_locations:
            out.update(info.name for info in pkgutil.walk_packages(spec.submodule_search_locations, prefix=name + ".")
                       if not info.name.rsplit(".", 1)[-1].startswith("_"))
    return frozenset(out)


def _module_allowed(name: str, settings: Settings) -> bool:
    return name in registered_tool_modules(tuple(settings.tool_modules))


def _registry_items(path: str, field: str) -> Iterator[tuple[str, Any]]:
    """``(where, item)`` for each entry of a JSONL registry file or a registry dataset directory."""
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "manifest.json")):
        from xlam.datasets import DatasetReader

        for shard, lineno, raw in DatasetReader(path).iter_raw():
            try:
                yield f"{shard}, line {lineno}", orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
        return
    if not os.path.isfile(path) or not path.endswith(".jsonl"):
        return
    with open(path, "rb") as fh:
        data = fh.read(MAX_REGISTRY_BYTES + 1)
    if len(data) > MAX_REGISTRY_BYTES:
        raise _error(field, "tool registry file is too large")
    for lineno, line in enumerate(data.splitlines(), 1):
        if line.strip():
            try:
                yield f"line {lineno}", orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # the registry loader reports malformed lines


def _check_registry_file(path: str, field: str, settings: Settings) -> None:
    """A tool registry (JSONL file or dataset): python targets only in registered modules; no REST endpoints."""
    for where, item in _registry_items(path, field):
        if not isinstance(item, dict):
            continue
        target = str(item.get("target") or "")
        if target and not _module_allowed(target.split(":", 1)[0], settings):
            raise _error(field, f"{where}: tool target {target[:100]!r} is not in a registered tool module")
        if item.get("endpoint"):
            raise _error(field, f"{where}: REST tools (endpoint) cannot be used by runs")


def _check_string(value: str, field: str, key: str, settings: Settings, project_id: str) -> None:
    if "\x00" in value:
        raise _error(field, "contains a NUL character")
    if value.startswith("module:"):
        module = value.removeprefix("module:")
        if not _module_allowed(module, settings):
            raise _error(field, f"module {module[:100]!r} is not a registered tool module "
                                f"(XLAM_TOOL_MODULES: {', '.join(settings.tool_modules)} and their submodules)")
        return
    if value.startswith("~"):
        raise _error(field, "home-relative paths are not allowed")
    if ".." in re.split(r"[/\\]", value):
        raise _error(field, "'..' path segments are not allowed")
    scheme = _SCHEME.match(value)
    if scheme:
        if scheme.group(1).lower() not in settings.allowed_uri_schemes:
            raise _error(field, f"scheme {scheme.group(1)!r} names a host or service runs may not reach")
        check_uri(value, settings, field=field, project_id=project_id, need_driver=True)
        return
    if value.startswith(("/", "file:")):
        real = check_uri(value, settings, field=field, project_id=project_id, need_driver=True)
        check_dataset_confined(real, field=field)
        if key in _TOOL_KEYS:
            _check_registry_file(real, field, settings)


def _check_generator(node: dict[str, Any], field: str, settings: Settings) -> None:
    endpoint = node.get("endpoint")
    if endpoint is not None and endpoint not in settings.generator_endpoints:
        names = ", ".join(sorted(settings.generator_endpoints)) or "none configured"
        raise _error(f"{field}.endpoint", f"unknown generator endpoint {str(endpoint)[:64]!r} (available: {names})")
    if node.get("backend") == "openai" and endpoint is None:
        raise _error(f"{field}.endpoint", "openai generators in runs must name a platform endpoint")


def check_spec(spec: Any, settings: Settings, project_id: str, field: str = "spec") -> None:
    """Raise a 422 naming the first field of ``spec`` (the submitted one) that breaks the policy."""
    stack: list[tuple[Any, str, str]] = [(spec, field, "")]
    while stack:
        value, path, key = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                if (k in FORBIDDEN_KEYS or str(k).endswith("_env")) and v not in (None, "", [], {}):
                    raise _error(f"{path}.{k}", FORBIDDEN_KEYS.get(k, "names an environment variable"))
            if "backend" in value and ("endpoint" in value or value.get("backend") == "openai"):
                _check_generator(value, path, settings)
            stack.extend((v, f"{path}.{k}", str(k)) for k, v in value.items()
                         if not (k in FORBIDDEN_KEYS or str(k).endswith("_env")))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]", key) for i, v in enumerate(value))
        elif isinstance(value, str):
            _check_string(value, path, key, settings, project_id)
