"""JSON-lines input: one reader that names the file and line of a bad line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from xlam.errors import RecordError


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line; invalid JSON raises :class:`RecordError`."""
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise RecordError(str(path), lineno, "", f"invalid JSON: {exc}") from exc
            yield lineno, value
