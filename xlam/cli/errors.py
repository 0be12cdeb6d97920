"""How every ``xlam`` command reports bad input: exit code 2 and one line naming the problem.

A bad record names its file, record number (line) and field path; a bad config names the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

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
    except (KeyError, ValueError) as exc:
        fail(str(exc).strip("'\"").splitlines()[0] if str(exc) else type(exc).__name__)
