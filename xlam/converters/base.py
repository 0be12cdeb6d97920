"""The converter interface: source items in, unified records out (and back out where lossless).

A converter reads source files into :class:`SourceItem` s (one per source record, with its file and
1-based record number), turns each into records, and reports bad input as :class:`FieldError`
(field path + reason). :meth:`Converter.convert_item` wraps every failure into a
:class:`~xlam.errors.RecordError` carrying file, record number, field path and reason.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import ValidationError

from xlam.errors import RecordError, pydantic_field_path
from xlam.jsonl import iter_jsonl
from xlam.records import Provenance, Record

T = TypeVar("T")


class FieldError(ValueError):
    """Bad source content at ``field`` (a path such as ``conversation[3].tool_calls[0]``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class ExportError(ValueError):
    """A record that the target format cannot carry without loss."""


@dataclass(frozen=True)
class SourceItem:
    """One source record: its location and parsed JSON value (plus converter-specific context)."""

    path: str
    line: int
    value: Any
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def iter_json_items(path: str | Path) -> Iterator[SourceItem]:
    """Items of a JSON-lines file, or of a file holding one JSON array (``.json``), streamed.

    The line of a JSON-lines item is its line number; the line of an array element is its
    1-based index. Invalid JSON raises :class:`RecordError` with that number.
    """
    path = str(path)
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip()
    if head.startswith(b"["):
        yield from _iter_json_array(path)
        return
    for lineno, value in iter_jsonl(path):
        yield SourceItem(path, lineno, value)


_CHUNK = 1 << 20
_WS = " \t\r\n"


def _iter_json_array(path: str) -> Iterator[SourceItem]:
    """Elements of a top-level JSON array, decoded incrementally (memory ~ the largest element,
    not the file: ActionStudio's train.json is half a gigabyte)."""
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8") as fh:
        buf = fh.read(_CHUNK).lstrip()
        if not buf.startswith("["):
            raise RecordError(path, None, "", "expected a JSON array")
        pos, index, eof, expect_comma = 1, 0, False, False
        while True:
            while pos < len(buf) and (buf[pos] in _WS or (expect_comma and buf[pos] == ",")):
                expect_comma = expect_comma and buf[pos] != ","
                pos += 1
            if pos >= len(buf):
                if eof:
                    raise RecordError(path, index + 1, "", "unterminated JSON array")
                chunk = fh.read(_CHUNK)
                eof = not chunk
                buf, pos = buf[pos:] + chunk, 0
                continue
            if buf[pos] == "]":
                return
            if expect_comma:
                raise RecordError(path, index + 1, "", f"expected ',' or ']' after element {index}")
            try:
                value, end = decoder.raw_decode(buf, pos)
                # Complete only when a delimiter follows in the buffer: "12" may be "123…" and
                # "35000000000." decodes as 35000000000 before its fraction has been read.
                follow = end
                while follow < len(buf) and buf[follow] in _WS:
                    follow += 1
                complete = eof or (follow < len(buf) and buf[follow] in ",]")
            except json.JSONDecodeError as exc:
                if eof:
                    raise RecordError(path, index + 1, "", f"invalid JSON: {exc.msg}") from exc
                complete = False
            if not complete:
                chunk = fh.read(max(_CHUNK, len(buf)))  # the element spans the buffer end: read more
                eof = not chunk
                buf, pos = buf[pos:] + chunk, 0
                continue
            index += 1
            yield SourceItem(path, index, value)
            pos, expect_comma = end, True
            if pos > _CHUNK:
                buf, pos = buf[pos:], 0


def require(obj: Any, key: str, path: str, kind: type[T] | tuple[type, ...]) -> T:
    """``obj[key]`` checked for presence and type; ``path`` names ``obj`` in error messages."""
    where = f"{path}.{key}" if path else key
    if not isinstance(obj, dict) and not isinstance(obj, Mapping):  # dict first: the ABC check is slow
        raise FieldError(path, f"expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise FieldError(where, "missing required field")
    value = obj[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise FieldError(where, f"expected {names}, got {type(value).__name__}")
    return value  # type: ignore[return-value]


def json_field(value: Any, path: str) -> Any:
    """Parse a field that holds JSON as a string (APIGen ``tools``/``answers``); pass others through."""
    if not isinstance(value, str | bytes):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise FieldError(path, f"not valid JSON: {exc}") from exc


class Converter(ABC):
    """One source format. Subclasses set ``name``/``description`` and implement :meth:`convert`."""

    name: ClassVar[str]
    description: ClassVar[str]
    can_export: ClassVar[bool] = False

    def iter_source(self, path: str, options: Mapping[str, Any]) -> Iterator[SourceItem]:
        """Source items of one input path (default: JSON lines or a JSON array file)."""
        return iter_json_items(path)

    def default_inputs(self) -> list[str]:
        """Inputs used when none are given (only sources shipped with the installation have any)."""
        return []

    @abstractmethod
    def convert(self, item: SourceItem) -> list[Record]:
        """Records of one source item; raise :class:`FieldError` on bad content."""

    def export(self, record: Record) -> dict[str, Any]:
        """The source-format object of ``record``; raise :class:`ExportError` when lossy."""
        raise ExportError(f"converter {self.name!r} cannot export records")

    # --- helpers for subclasses ----------------------------------------------------------------
    def build(self, item: SourceItem, source_id: Any = None, **fields: Any) -> Record:
        """A record with this converter as source, the item's location, and the source id (or
        the content-hash id when the source has none; integer ids get the converter name prefix)."""
        provenance = Provenance(source_location=item.location)
        record = Record(id="pending", source=self.name, provenance=provenance, **fields)
        if source_id is None or source_id == "":
            return record.with_content_id()
        rid = f"{self.name}-{source_id}" if isinstance(source_id, int) else str(source_id)
        record.id = rid
        return record

    def build_from_dict(self, item: SourceItem, source_id: Any, fields: dict[str, Any]) -> Record:
        """:meth:`build` from plain field dicts, validated in one pass (the fast path)."""
        if source_id is None or source_id == "":
            return self.build(item, None, **fields)
        rid = f"{self.name}-{source_id}" if isinstance(source_id, int) else str(source_id)
        return Record.model_validate(
            {"id": rid, "source": self.name, "provenance": {"source_location": item.location}, **fields}
        )

    def convert_item(self, item: SourceItem) -> list[Record]:
        """:meth:`convert` with every failure turned into a :class:`RecordError`."""
        try:
            return self.convert(item)
        except RecordError:
            raise
        except FieldError as exc:
            raise RecordError(item.path, item.line, exc.field, exc.reason) from exc
        except ValidationError as exc:
            err = exc.errors()[0]
            field_path = pydantic_field_path(tuple(err["loc"]))
            raise RecordError(item.path, item.line, f"record.{field_path}" if field_path else "record",
                              err["msg"]) from exc
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            field_name = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else ""
            reason = "missing required field" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
            raise RecordError(item.path, item.line, field_name, reason) from exc
