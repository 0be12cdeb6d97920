"""Where a model's string arguments go wrong on BFCL's single-call items, by kind, and the answers that repeat a
call: the measurements behind the next value levers (docs/QUALITY.md).

A string argument is wrong when BFCL's value check rejects it: its standardized form
(:func:`xlam.bfcl.checker.standardize_string`) is none of the possible answer's. Only items with one gold call
count (simple_python, multiple, live_simple, live_multiple), and only when the answer calls the gold function, so
each wrong value belongs to one parameter. The kinds, first match wins:

- ``date``: a date parameter (its name says so, or a possible value is a date): "2022" for "2022-01-01",
  "March 17, 1915" where the function wants "1915-03-17";
- ``city_state``: every possible value is "city, state" and the answer gave the city alone ("Boston" for
  "Boston, MA"): the parameter's description asks for the state ("The city and state, e.g. Boston, MA");
- ``code``: the function takes a code (a possible value is an upper-case code: "JPY", "AAPL", "CA") and the
  answer is no code, mostly its name ("Japanese Yen", "Apple", "Canadian dollars"); a wrong code ("CAN" for
  "CAD") falls through to the kinds below;
- ``over_span``: a possible value lies inside the answer's ("gas-fueled" for "gas", "Rosewood Finish" for
  "Rosewood");
- ``under_span``: the answer's lies inside a possible value ("Louvre" for "Louvre Museum", "Tordesillas" for
  "Treaty of Tordesillas");
- ``other_span``: another part of the request ("Italy" for "Marble");
- ``not_in_query``: words the request does not have (a conversion or a guess: "CAN" for "CAD").

The same items' **optional arguments left out** where BFCL wants them (no "" among the possible answers:
BFCL's "Optional parameter not provided") come in three kinds (:func:`left_out_optionals`): ``said`` (a possible
value is in the request: "in December" for ``month``, "in km/h" for ``to_unit``, "war events" for
``event_type``), ``flag`` (a boolean the request implies: "with details", "including human impact") and
``implied`` (a value the request means but does not say: "monthly compounding" for
``compounding_periods_per_year=12``).

    from xlam.evaluation.value_errors import string_errors, kind_counts
    errors = string_errors(load_items("runs/eval"), questions, answers)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlam.bfcl.checker import standardize_string

KINDS = ("date", "city_state", "code", "over_span", "under_span", "other_span", "not_in_query")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/]\d{1,2}[-/]\d{4}")
_CITY_STATE = re.compile(r"^([^,]+),\s*\S")
_CODE = re.compile(r"[A-Z]{2,5}")


@dataclass(frozen=True)
class StringError:
    """One wrong string argument of a single-call item."""

    id: str
    parameter: str
    got: str
    expected: tuple[str, ...]
    kind: str


def query_text(question: Mapping[str, Any]) -> str:
    """The user turns of a BFCL single-turn question, joined."""
    turns = question.get("question") or []
    messages = turns[0] if turns and isinstance(turns[0], list) else turns
    return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, Mapping) and m.get("role") == "user")


def classify(parameter: str, got: str, expected: Sequence[str], query: str) -> str:
    """The kind of one wrong string value (module docstring)."""
    std_got = standardize_string(got)
    std_expected = [standardize_string(x) for x in expected if x]
    if "date" in parameter.lower() or any(_DATE.search(x) for x in expected):
        return "date"
    cities = [_CITY_STATE.match(x) for x in expected if x]
    if cities and all(cities) and any(std_got == standardize_string(m.group(1)) for m in cities if m):
        return "city_state"
    if any(_CODE.fullmatch(x) for x in expected) and not _CODE.fullmatch(got):
        return "code"
    if std_got and any(x and x != std_got and x in std_got for x in std_expected):
        return "over_span"
    if std_got and any(std_got != x and std_got in x for x in std_expected):
        return "under_span"
    if got.strip() and re.search(rf"(?<!\w){re.escape(got.strip().lower())}(?!\w)", query.lower()):
        return "other_span"
    return "not_in_query"


def _gold_function_calls(items: Iterable[Mapping[str, Any]], questions: Mapping[str, Mapping[str, Any]],
                         answers: Mapping[str, Sequence[Mapping[str, Any]]],
                         ) -> Iterator[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
    """(id, gold function, its possible answers, the answer's arguments) of the scored ``items`` that have one
    gold call and whose answer calls the gold function (dotted names compared as BFCL's Python categories
    write them)."""
    for item in items:
        entry_id = str(item["id"])
        gold = answers.get(entry_id)
        decoded = item.get("decoded")
        if not gold or len(gold) != 1 or not isinstance(decoded, list) or entry_id not in questions:
            continue
        name, allowed = next(iter(gold[0].items()))
        call = next((c[name] for c in decoded if isinstance(c, Mapping) and name in c), None)
        if isinstance(call, Mapping):
            yield entry_id, name, allowed, call


def string_errors(items: Iterable[Mapping[str, Any]], questions: Mapping[str, Mapping[str, Any]],
                  answers: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[StringError]:
    """The wrong string arguments of the scored ``items`` (``results.jsonl`` rows) that have one gold call and
    whose answer calls the gold function (:func:`_gold_function_calls`)."""
    out: list[StringError] = []
    for entry_id, _name, allowed, call in _gold_function_calls(items, questions, answers):
        query = query_text(questions[entry_id])
        for parameter, values in allowed.items():
            got = call.get(parameter)
            strings = tuple(str(v) for v in values if isinstance(v, str))
            if not isinstance(got, str) or not any(strings):
                continue
            if standardize_string(got) in {standardize_string(v) for v in strings}:
                continue
            out.append(StringError(entry_id, parameter, got, strings, classify(parameter, got, strings, query)))
    return out


@dataclass(frozen=True)
class LeftOut:
    """One optional argument a single-call answer left out where BFCL wants it."""

    id: str
    parameter: str
    expected: tuple[Any, ...]
    kind: str  # said, flag or implied (module docstring)


def _said(value: Any, query: str) -> bool:
    """Whether ``value`` is in the (lower-cased) request: a string where a word starts with it (plurals count:
    "war" in "wars"), a number as digits, a list when every element is."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return bool(value.strip()) and re.search(rf"(?<!\w){re.escape(value.strip().lower())}", query) is not None
    if isinstance(value, int | float):
        text = str(int(value)) if float(value).is_integer() else str(value)
        return re.search(rf"(?<![\w.]){re.escape(text)}(?![\d])", query) is not None
    if isinstance(value, list):
        return bool(value) and all(_said(v, query) for v in value)
    return False


def left_out_optionals(items: Iterable[Mapping[str, Any]], questions: Mapping[str, Mapping[str, Any]],
                       answers: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[LeftOut]:
    """The optional arguments the scored ``items`` left out of the gold function's call although BFCL wants
    them (items with one gold call whose answer calls the gold function, as :func:`string_errors`)."""
    out: list[LeftOut] = []
    for entry_id, name, allowed, call in _gold_function_calls(items, questions, answers):
        functions = questions[entry_id].get("function") or []
        spec = next((f for f in functions if isinstance(f, Mapping) and f.get("name") == name), {})
        required = set((spec.get("parameters") or {}).get("required") or [])
        query = query_text(questions[entry_id]).lower()
        for parameter, values in allowed.items():
            if parameter in call or parameter in required or "" in values:
                continue
            kind = ("said" if any(_said(v, query) for v in values)
                    else "flag" if any(isinstance(v, bool) for v in values) else "implied")
            out.append(LeftOut(entry_id, parameter, tuple(values), kind))
    return out


def kind_counts(errors: Iterable[StringError]) -> dict[str, int]:
    """{kind: wrong values} in :data:`KINDS` order, ``all`` last."""
    counts = Counter(e.kind for e in errors)
    return {**{kind: counts.get(kind, 0) for kind in KINDS}, "all": sum(counts.values())}


def repeated_call_items(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Per category, the answers that give one call (same function, same arguments) more than once."""
    out: Counter[str] = Counter()
    for item in items:
        decoded = item.get("decoded")
        if not isinstance(decoded, list):
            continue
        calls = [json.dumps(c, sort_keys=True, default=str) for c in decoded]
        if len(set(calls)) < len(calls):
            out[str(item["category"])] += 1
    return dict(sorted(out.items()))


__all__ = ["KINDS", "LeftOut", "StringError", "classify", "kind_counts", "left_out_optionals", "query_text",
           "repeated_call_items", "string_errors"]
