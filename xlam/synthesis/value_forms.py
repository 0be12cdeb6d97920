"""How a request says one argument value, and the forms the semantic check accepts for it.

Numbers as digits (``number_forms``), with the unit their parameter states ("30 degrees", "5%"), small counts as
words ("two adults"), fractions as percentages ("60%"), ISO dates as people write them ("March 5, 2021"), and
booleans as requests ask for them ("including dissent"). :mod:`xlam.synthesis.phrasing` composes requests from
these; :mod:`xlam.synthesis.checks` accepts exactly these forms for a value.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any

from xlam.synthesis.magnitudes import magnitude_forms


def voice_value(value: Any) -> str:
    """A value as it would appear in a request (lists as "3, 5 and 7", strings quoted when long)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if abs(value) >= 1 or value == 0 else str(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if any(c in value for c in '{}[]"'):
            return f"`{value}`"
        return f'"{value}"' if (" " in value or not value) else value
    if isinstance(value, list) and value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return "[" + ", ".join(voice_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


#: Units a numeric parameter's description states ("The angle in degrees.", "The rate in percent.",
#: "Weight (kg)"), as a request would say them after the number.
_UNIT_WORDS = ("percent", "percentage", "degrees", "radians", "seconds", "minutes", "hours", "days", "weeks",
               "months", "years", "meters", "metres", "kilometers", "kilometres", "km", "miles", "feet", "inches",
               "centimeters", "cm", "millimeters", "mm", "kilograms", "kg", "grams", "g", "pounds", "lbs", "liters",
               "litres", "ml", "celsius", "fahrenheit", "kelvin", "dollars", "usd", "euros", "eur", "watts",
               "volts", "amperes", "amps", "ohms", "joules", "newtons", "pascals", "hertz", "hz", "calories",
               "kcal", "bytes", "mb", "gb", "characters", "nights", "people", "guests", "servings", "mph", "km/h")
_UNIT_RE = re.compile(r"\b(?:in|as|of)\s+(?:the\s+)?(" + "|".join(re.escape(u) for u in _UNIT_WORDS) + r")\b"
                      r"|\((" + "|".join(re.escape(u) for u in _UNIT_WORDS) + r")\)", re.IGNORECASE)


def unit_of(schema: dict[str, Any]) -> str | None:
    """The unit a numeric parameter's description states ("The angle in degrees." -> "degrees"), or None."""
    if schema.get("type") not in ("number", "integer"):
        return None
    match = _UNIT_RE.search(str(schema.get("description", "")))
    if not match:
        return None
    unit = (match.group(1) or match.group(2)).lower()
    return "percent" if unit == "percentage" else unit


def number_forms(value: int | float) -> set[str]:
    """The digit strings a request may write a number as ("378" for 378.0, "5.5", "25,000" and "2 million" for
    large ones: :func:`xlam.synthesis.magnitudes.magnitude_forms`): what the semantic check and the percentage
    rewrite look for in a query."""
    forms = {voice_value(value), str(value), *magnitude_forms(value, money=False)}
    if isinstance(value, float) and value.is_integer():
        forms.add(str(int(value)))
    return forms


def voice_quantity(value: Any, unit: str, rng: random.Random) -> str:
    """A number with its unit as people write it: "5%" or "5 percent", "30 degrees", "70 kg"."""
    number = voice_value(value)
    if unit == "percent":
        return f"{number}%" if rng.random() < 0.7 else f"{number} percent"
    return f"{number} {unit}"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def date_forms(value: str) -> list[str]:
    """The ways a request may say an ISO date ("2021-03-05" -> "March 5, 2021", "5 March 2021", ...); []
    for a string that is not an ISO date. The semantic check accepts any of them for the ISO value."""
    if not _ISO_DATE.fullmatch(value):
        return []
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return []
    month = _MONTHS[day.month - 1]
    return [f"{month} {day.day}, {day.year}", f"{day.day} {month} {day.year}", f"{month} {_ordinal(day.day)}, {day.year}",
            f"the {_ordinal(day.day)} of {month} {day.year}", f"{month[:3]} {day.day}, {day.year}",
            # as BFCL's requests also write them ("March 8th 2023", "2022/08/16", "2023.4.11")
            f"{month} {_ordinal(day.day)} {day.year}", f"{day.year}/{day.month:02d}/{day.day:02d}",
            f"{day.year}.{day.month}.{day.day}"]


def is_date_parameter(schema: dict[str, Any]) -> bool:
    """A string parameter that takes an ISO date (``format: date`` or "YYYY-MM-DD" in its description)."""
    return schema.get("format") == "date" or "YYYY-MM-DD" in str(schema.get("description", ""))


_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve")


def number_words(value: Any) -> list[str]:
    """The word for a whole number from 0 to 12 ("two" for 2), or []. The semantic check accepts it for the number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or not 0 <= value <= 12:
        return []
    return [_NUMBER_WORDS[int(value)]]


_FRACTION_WORDS = re.compile(r"probabilit|confidence|fraction|proportion|share|\brate\b", re.IGNORECASE)


def is_fraction_parameter(schema: dict[str, Any]) -> bool:
    """A ``number`` parameter between 0 and 1 whose description names a probability, confidence level, rate,
    fraction or share: people say its value as a percentage ("a 60% chance" for 0.6)."""
    if schema.get("type") != "number":
        return False
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    return (low is not None and high is not None and low >= 0 and high <= 1
            and bool(_FRACTION_WORDS.search(str(schema.get("description", "")))))


def percent_forms(value: Any) -> list[str]:
    """How a request may say a fraction from 0 to 1 as a percentage (0.6 -> "60%", "60 percent"), when it has
    at most two decimals as a percentage; []. The semantic check accepts them for the fraction."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        return []
    pct = round(value * 100, 6)
    if round(pct, 2) != pct:
        return []
    number = voice_value(int(pct) if pct == int(pct) else pct)
    return [f"{number}%", f"{number} percent"]


#: Parameter-name words that start a boolean's phrase as a verb ("show details") or end it as an adjective
#: ("pet friendly"): :func:`voice_flag`.
_FLAG_VERBS = frozenset({"show", "return", "add", "use", "allow", "enable", "get", "fetch", "sort", "keep", "send",
                         "print", "apply", "skip"})
_ADJECTIVE_ENDS = frozenset({"friendly", "now", "available", "free", "ready", "accessible", "verified", "active",
                             "enabled", "required"})


def name_words(name: str) -> list[str]:
    return re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").lower().split()


def voice_flag(name: str, value: bool, rng: random.Random) -> str | None:
    """A boolean argument said as a request says it, from the parameter name: ``include_dissent`` True ->
    "including dissent" / "include dissent" / "with dissent", False -> "without dissent"; ``show_details`` ->
    "show details" / "do not show details"; ``is_vegan`` -> "which is vegan" / "which is not vegan";
    ``latest_only`` True -> "only latest"; ``outdoor_seating`` -> "with outdoor seating" / "without outdoor
    seating"; a one-word name (``detailed``) -> "make it detailed" / "not detailed". None where no phrase
    fits (the caller says "the ... is true")."""
    words = name_words(name)
    if not words:
        return None
    head, rest = words[0], " ".join(words[1:])
    if head in ("include", "includes", "with", "has") and rest:
        if value:
            return rng.choice([f"including {rest}", f"include {rest}", f"with {rest}"])
        return rng.choice([f"without {rest}", f"excluding {rest}", f"not including {rest}"])
    if head in _FLAG_VERBS and rest:
        return f"{head} {rest}" if value else rng.choice([f"do not {head} {rest}", f"don't {head} {rest}"])
    if head == "is" and rest:
        return f"which is {rest}" if value else f"which is not {rest}"
    if "only" in words:
        others = " ".join(w for w in words if w != "only")
        return f"only {others}" if value and others else None
    if len(words) == 1:
        return rng.choice([f"make it {head}", f"{head}, please"]) if value else f"not {head}"
    phrase = " ".join(words)
    if words[-1] in _ADJECTIVE_ENDS:  # "pet friendly", "open now"
        return phrase if value else f"not {phrase}"
    return rng.choice([f"with {phrase}", f"{phrase}: yes"]) if value else rng.choice([f"without {phrase}", f"no {phrase}"])


__all__ = [
    "date_forms",
    "is_date_parameter",
    "is_fraction_parameter",
    "name_words",
    "number_forms",
    "number_words",
    "percent_forms",
    "unit_of",
    "voice_flag",
    "voice_quantity",
    "voice_value",
]
