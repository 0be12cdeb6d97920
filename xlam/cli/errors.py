"""How every ``xlam`` command reports bad input: exit code 2 and one line naming the problem.

A bad record names its file, record number (line) and field path; a bad config names the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer

EXIT_BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def bad_input_exits() -> Iterator[None]:
    """Turn input errors into exit code 2 with a location; other errors propagate."""
    from pydantic import ValidationError

    from xlam.errors import DatasetError, RecordError

    try:
        yield
    except RecordError as exc:
        where = f"{exc.path}, line {exc.line}" if exc.line is not None else exc.path
        field = f", field {exc.field}" if exc.field else ""
        fail(f"{where}{field}: {exc.reason}")
    except ValidationError as exc:
        err = exc.errors()[0]
        fail(f"invalid configuration: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}")
    except DatasetError as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"{exc.filename}: no such file or directory")
    except IsADirectoryError as exc:
        fail(f"{exc.filename}: is a directory, expected a file")
    except UnicodeDecodeError as exc:
        fail(f"not a UTF-8 text file (byte {exc.start}): {exc.reason}")
    except (KeyError, ValueError) as exc:
        fail(str(exc).strip("'\"").splitlines()[0] if str(exc) else type(exc).__name__)


def require_file(path: str | Path, *, what: str = "input", allow_empty: bool = False) -> Path:
    """An existing, non-empty regular file, or exit 2 naming it (checked before anything is written)."""
    p = Path(path)
    if not p.exists():
        fail(f"{p}: no such file")
    if p.is_dir():
        fail(f"{p}: is a directory, not a {what} file")
    if not allow_empty and not p.read_bytes().strip():
        fail(f"{p}: the {what} file is empty")
    return p


def read_config_file(path: str | Path, *, what: str = "config", allow_empty: bool = True) -> dict[str, Any]:
    """A YAML (or JSON) mapping from ``path``; exit 2 naming the file (and line) when it is missing, a
    directory, binary, not valid YAML/JSON, or not a mapping."""
    import json

    import yaml

    p = require_file(path, what=what, allow_empty=True)
    raw = p.read_bytes()
    if b"\x00" in raw:
        fail(f"{p}: not a text {what} file (binary content)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{p}: not a UTF-8 text {what} file (byte {exc.start})")
    if p.suffix == ".json":
        try:
            data = json.loads(text) if text.strip() else None
        except json.JSONDecodeError as exc:
            fail(f"{p}, line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}")
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
            if context and cmark is not None:
                problem += f" ({context} at line {cmark.line + 1}, column {cmark.column + 1})"
            fail(f"{p}{where}: invalid YAML: {problem}")
    if data is None:
        if allow_empty:
            return {}
        fail(f"{p}: the {what} file is empty")
    if not isinstance(data, dict):
        fail(f"{p}: the {what} must be a mapping of fields, got {type(data).__name__}")
    return data
