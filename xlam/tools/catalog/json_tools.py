"""JSON tools: validate, pretty-print, query and transform JSON documents given as text."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog._types import JsonText

CATEGORY = "json"

_DOCS = [
    '{"name": "Ada", "age": 36, "languages": ["en", "fr"]}',
    '{"order": {"id": 1042, "items": [{"sku": "A1", "qty": 2}, {"sku": "B7", "qty": 1}], "paid": true}}',
    '[{"city": "Paris", "population": 2102650}, {"city": "Lyon", "population": 522250}]',
    '{"server": {"host": "localhost", "port": 8080}, "debug": false, "workers": 4}',
]
Document = Annotated[str, Field(min_length=2, max_length=4000, examples=_DOCS)]
Path = Annotated[str, Field(min_length=1, max_length=200, examples=["name", "order.items.0.sku", "server.port", "0.city"])]


def _resolve(value: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(path)
    return value


def validate_json(text: JsonText) -> dict[str, Any]:
    """Check whether a text is valid JSON and report the error position if not.

    Args:
        text: The JSON text to validate.
    """
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return {"valid": False, "error": exc.msg, "line": exc.lineno, "column": exc.colno}
    return {"valid": True}


def pretty_print_json(text: Document, indent: Annotated[int, Field(ge=0, le=8)] = 2, sort_keys: bool = False) -> str:
    """Re-indent a JSON document for reading.

    Args:
        text: The JSON document.
        indent: Spaces per indentation level.
        sort_keys: Whether object keys are sorted.
    """
    return json.dumps(json.loads(text), indent=indent, sort_keys=sort_keys, ensure_ascii=False)


def minify_json(text: Document) -> str:
    """Remove all insignificant whitespace from a JSON document.

    Args:
        text: The JSON document.
    """
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def json_get_path(text: Document, path: Path) -> Any:
    """Read the value at a dotted path (object keys and list indexes) in a JSON document.

    Args:
        text: The JSON document.
        path: The dotted path, e.g. "order.items.0.sku".
    """
    try:
        return _resolve(json.loads(text), path)
    except (KeyError, IndexError, ValueError):
        return None


def json_keys(text: Document) -> list[str]:
    """List the top-level keys of a JSON object (or the indexes of a JSON array).

    Args:
        text: The JSON document.
    """
    value = json.loads(text)
    return list(value) if isinstance(value, dict) else [str(i) for i in range(len(value))] if isinstance(value, list) else []


def flatten_json(text: Document, separator: Literal[".", "_", "/"] = ".") -> dict[str, Any]:
    """Flatten a nested JSON document into a single-level object with joined key paths.

    Args:
        text: The JSON document.
        separator: The string placed between nested keys.
    """
    out: dict[str, Any] = {}

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(v, f"{prefix}{separator}{k}" if prefix else str(k))
        elif isinstance(value, list) and value:
            for i, v in enumerate(value):
                walk(v, f"{prefix}{separator}{i}" if prefix else str(i))
        else:
            out[prefix] = value

    walk(json.loads(text), "")
    return out


def json_type_summary(text: Document) -> dict[str, str]:
    """Describe the JSON type of each top-level field of an object.

    Args:
        text: The JSON document (an object).
    """
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    value = json.loads(text)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    return {str(k): ("null" if v is None else names.get(type(v), "unknown")) for k, v in items}


def merge_json_objects(first: Document, second: Document) -> dict[str, Any]:
    """Merge two JSON objects recursively; values of the second win on conflicts.

    Args:
        first: The base JSON object.
        second: The JSON object whose values take precedence.
    """
    def merge(a: Any, b: Any) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            merged = dict(a)
            for k, v in b.items():
                merged[k] = merge(a.get(k), v) if k in a else v
            return merged
        return b

    result = merge(json.loads(first), json.loads(second))
    return result if isinstance(result, dict) else {"value": result}


def count_json_values(text: Document) -> int:
    """Count the scalar values (strings, numbers, booleans, nulls) in a JSON document.

    Args:
        text: The JSON document.
    """
    def count(value: Any) -> int:
        if isinstance(value, dict):
            return sum(count(v) for v in value.values())
        if isinstance(value, list):
            return sum(count(v) for v in value)
        return 1

    return count(json.loads(text))


def json_to_csv_rows(text: Annotated[str, Field(min_length=2, examples=[_DOCS[2], '[{"id": 1, "ok": true}, {"id": 2, "ok": false}]'])]) -> str:
    """Convert a JSON array of flat objects into CSV text with a header row.

    Args:
        text: The JSON array of objects.
    """
    import csv
    import io

    rows = json.loads(text)
    if not isinstance(rows, list):
        rows = [rows]
    header: list[str] = []
    for row in rows:
        for key in row if isinstance(row, dict) else []:
            if key not in header:
                header.append(key)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if isinstance(row, dict):
            writer.writerow(row)
    return buffer.getvalue()
