"""Errors that point at the offending input: file, record number (line), field path and reason."""

from __future__ import annotations

from dataclasses import dataclass


class XlamError(Exception):
    """Base class of the core library's errors."""


@dataclass
class RecordError(XlamError):
    """A bad input record. ``line`` is 1-based (the record number in a JSON array file)."""

    path: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        field = f" field {self.field!r}" if self.field else ""
        return f"{where}:{field} {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "field": self.field, "reason": self.reason}


class DatasetError(XlamError):
    """A dataset that is missing, incomplete or fails its checksums."""


def pydantic_field_path(loc: tuple[object, ...]) -> str:
    """``('steps', 0, 'tool_calls', 1, 'name')`` -> ``steps[0].tool_calls[1].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
