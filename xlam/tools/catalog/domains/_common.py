"""Shared argument types and helpers of the domain tools.

Every domain tool is wrapped in :func:`tool` (pydantic's ``validate_call``), so a call with a value
outside its annotation (a negative night count, an unknown enum choice, a malformed date, an empty
name) raises :class:`ValueError` (pydantic's ``ValidationError`` is one) with a message naming the
argument. Results come from :func:`rng_for`: a :class:`random.Random` seeded by a hash of the tool
name and its arguments, so the same call always returns the same synthetic data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, validate_call

F = TypeVar("F", bound=Callable[..., Any])


def tool(fn: F) -> F:
    """Validate every call against the function's annotations (ValueError on a bad argument)."""
    return validate_call(config=ConfigDict(strict=False), validate_return=False)(fn)


def _iso_date(text: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form") from None
    return text


def _iso_time(text: str) -> str:
    try:
        dt.time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time in HH:MM form") from None
    return text


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


Date = Annotated[str, Field(json_schema_extra={"format": "date"}), AfterValidator(_iso_date)]
Time = Annotated[str, Field(json_schema_extra={"format": "time"}), AfterValidator(_iso_time)]
Name = Annotated[str, Field(min_length=1), AfterValidator(_not_blank)]
Names = Annotated[list[Name], Field(min_length=1, max_length=8)]
Year = Annotated[int, Field(ge=1950, le=2030)]
Count = Annotated[int, Field(ge=1, le=20)]
Guests = Annotated[int, Field(ge=1, le=12)]
Nights = Annotated[int, Field(ge=1, le=60)]
Money = Annotated[float, Field(gt=0, le=10_000_000)]
Budget = Annotated[float, Field(gt=0, le=100_000)]
Rating = Annotated[float, Field(ge=0, le=5)]
Miles = Annotated[float, Field(gt=0, le=500)]


def date_of(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ensure_order(start: str, end: str, what: str = "end date") -> int:
    """Days from ``start`` to ``end``; ValueError unless ``end`` is after ``start``."""
    days = (date_of(end) - date_of(start)).days
    if days <= 0:
        raise ValueError(f"the {what} {end} must be after {start}")
    return days


def ensure_years(start: int, end: int) -> None:
    if end < start:
        raise ValueError(f"end year {end} is before start year {start}")


def rng_for(*parts: Any) -> random.Random:
    """A generator seeded by the call (tool name and arguments): same call, same data."""
    key = json.dumps(parts, sort_keys=True, default=str)
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def code_for(rng: random.Random, prefix: str) -> str:
    return f"{prefix}-{rng.randint(100000, 999999)}"


def money(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 2)


def stars(rng: random.Random, low: float = 3.0) -> float:
    return round(rng.uniform(low, 5.0), 1)


def pick(rng: random.Random, items: Sequence[str], k: int) -> list[str]:
    return rng.sample(list(items), min(k, len(items)))


def title_case(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def _field(rng: random.Random, spec: tuple[Any, ...]) -> Any:
    kind = spec[0]
    if kind == "money":
        return money(rng, spec[1], spec[2])
    if kind == "int":
        return rng.randint(spec[1], spec[2])
    if kind == "float":
        return round(rng.uniform(spec[1], spec[2]), 2)
    if kind == "pick":
        return rng.choice(list(spec[1]))
    if kind == "some":
        return sorted(pick(rng, spec[1], spec[2]))
    if kind == "rating":
        return stars(rng, spec[1] if len(spec) > 1 else 3.0)
    if kind == "code":
        return code_for(rng, spec[1])
    if kind == "bool":
        return rng.random() < (spec[1] if len(spec) > 1 else 0.5)
    if kind == "time":
        return f"{rng.randint(spec[1] if len(spec) > 1 else 8, spec[2] if len(spec) > 2 else 22):02d}:{rng.choice([0, 15, 30, 45]):02d}"
    if kind == "date":
        start = dt.date.fromisoformat(spec[1]) if len(spec) > 1 else dt.date(2024, 1, 1)
        return (start + dt.timedelta(days=rng.randint(0, spec[2] if len(spec) > 2 else 365))).isoformat()
    if kind == "const":
        return spec[1]
    raise ValueError(f"unknown field spec {spec!r}")


def _echo(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None and not k.startswith("_")}


def record(tool_name: str, args: dict[str, Any], **fields: tuple[Any, ...]) -> dict[str, Any]:
    """One result: the call's arguments echoed, then seeded fields (``("money", 5, 50)``, ``("pick", seq)``,
    ``("int", 1, 9)``, ``("rating",)``, ``("code", "PFX")``, ``("bool",)``, ``("time",)``, ``("date",)``...)."""
    rng = rng_for(tool_name, args)
    return {**_echo(args), **{k: _field(rng, spec) for k, spec in fields.items()}}


def listing(tool_name: str, args: dict[str, Any], k: int = 3, **fields: tuple[Any, ...]) -> list[dict[str, Any]]:
    """``k`` seeded results (fields as in :func:`record`; the arguments are not echoed)."""
    rng = rng_for(tool_name, args)
    return [{name: _field(rng, spec) for name, spec in fields.items()} for _ in range(max(1, k))]


__all__ = [
    "Budget",
    "Count",
    "Date",
    "Guests",
    "Miles",
    "Money",
    "Name",
    "Names",
    "Nights",
    "Rating",
    "Time",
    "Year",
    "code_for",
    "date_of",
    "ensure_order",
    "ensure_years",
    "listing",
    "money",
    "pick",
    "record",
    "rng_for",
    "stars",
    "title_case",
    "tool",
]
