"""JSON Schema export of the unified record models (committed under ``docs/schemas/``).

``xlam data schema`` writes them; a test fails when the committed files are stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel

from xlam.datasets.manifest import Manifest
from xlam.records import Record, Step, Tool, ToolCall

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "record": Record,
    "tool": Tool,
    "step": Step,
    "tool_call": ToolCall,
    "manifest": Manifest,
}


def schema_documents() -> dict[str, bytes]:
    """``{file name: JSON bytes}`` of every exported schema."""
    out: dict[str, bytes] = {}
    for name, model in SCHEMA_MODELS.items():
        schema: dict[str, Any] = model.model_json_schema(mode="validation")
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{name}.schema.json", **schema}
        out[f"{name}.schema.json"] = orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    return out


def write_schemas(directory: str | Path) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in schema_documents().items():
        path = directory / name
        path.write_bytes(body)
        written.append(path)
    return written


def stale_schemas(directory: str | Path) -> list[str]:
    """Names of schema files that are missing or differ from the models."""
    directory = Path(directory)
    return [name for name, body in schema_documents().items()
            if not (directory / name).is_file() or (directory / name).read_bytes() != body]
