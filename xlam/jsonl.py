"""JSON-lines input: one reader that names the file and line of a bad line."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from xlam.errors import RecordError


def _open(path: str | Path) -> io.BufferedIOBase:
    """The file's bytes, gunzipped when it starts with gzip's magic number (``outputs.jsonl.gz``)."""
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller's with-block
    if fh.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb")
    return fh


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line of a JSON-lines file (plain or gzip);
    invalid JSON raises :class:`RecordError`."""
    with _open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise RecordError(str(path), lineno, "", f"invalid JSON: {exc}") from exc
            yield lineno, value
