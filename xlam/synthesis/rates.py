"""Rates said as percentages, passed as decimals: "at 5%" -> ``interest_rate=0.05``.

BFCL's queries say rates as percentages and most of its functions take them as decimals: of the 42
single-turn non-live items (simple, multiple, parallel) whose query states an "N%" value, 35 expect
``0.0N`` (``calculate_compound_interest(rate=0.05)``) and 7 the percentage itself (``annual_rate=5.0``,
with a description saying "in percent"). The catalog's rate parameters all take percentages
(``annual_rate_percent``: "The nominal annual interest rate in percent."), so a model trained on it copies
``5%`` or ``5`` into a decimal-rate parameter. After a sample has passed verification,
:func:`percent_as_fraction` turns each called "in percent" parameter whose values the query says as
"N%" / "N percent" into a decimal-rate parameter (renamed, described as a decimal, bounds and values divided
by 100); the executed function is unaffected and the record keeps the original names in
``meta.percent_as_fraction``. ``SynthesisConfig.percent_rate`` makes queries say such values with "%"
(xlam.synthesis.phrasing.Voicing); :data:`DECIMAL_SHARE` of those samples are converted, as in BFCL.
"""

from __future__ import annotations

import random
import re
from typing import Any

from xlam.records import Record, Step
from xlam.synthesis.value_forms import number_forms, unit_of

#: Share of samples with a percentage-said rate whose parameter becomes a decimal (BFCL: 35 of 42).
DECIMAL_SHARE = 0.8
_PERCENT_TOKENS = frozenset({"percent", "percentage", "pct"})
_RATE_TOKENS = frozenset({"rate", "ratio", "fraction", "share", "return", "yield", "growth", "margin"})
_PERCENT_PHRASE = re.compile(r"\s*(?:\b(?:in|as)\s+(?:a\s+)?(?:percent|percentage)\b|\((?:percent|percentage|%)\))",
                             re.IGNORECASE)
_DECIMAL_PHRASES = ("as a decimal", "as a decimal (0.05 for 5%)", "in decimal form", "expressed as a decimal",
                    "as a fraction (e.g. 0.05 for 5%)")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default")


def _decimal_name(name: str) -> str:
    tokens = [t for t in name.split("_") if t and t.lower() not in _PERCENT_TOKENS] or ["rate"]
    if not any(t.lower() in _RATE_TOKENS for t in tokens):
        tokens.append("rate")
    return "_".join(tokens)


def _decimal(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return round(value / 100, 10)


def said_as_percent(value: Any, query: str) -> bool:
    """Whether ``query`` says the number ``value`` followed by "%" or "percent" ("5%", "2.5 percent")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return any(re.search(r"(?<![\d.])" + re.escape(f) + r"\s*(?:%|percent\b)", query, re.IGNORECASE)
               for f in number_forms(value))


def _convertible(record: Record) -> dict[str, dict[str, str]]:
    """Per tool, the "in percent" parameters to convert ({old: new}): called, and every value said as a percentage."""
    calls = [c for s in record.steps for c in s.tool_calls]
    out: dict[str, dict[str, str]] = {}
    for tool in record.tools:
        props = tool.parameters.get("properties", {})
        renames: dict[str, str] = {}
        for name, schema in props.items():
            if unit_of(schema) != "percent":
                continue
            values = [c.arguments[name] for c in calls if c.name == tool.name and name in c.arguments]
            new = _decimal_name(name)
            if values and all(said_as_percent(v, record.query) for v in values) and (new == name or new not in props):
                renames[name] = new
        if renames and len(set(renames.values())) == len(renames):
            out[tool.name] = renames
    return out


def percent_as_fraction(record: Record, rng: random.Random) -> Record:
    """``record`` with each called "in percent" parameter whose values the query says as percentages turned
    into a decimal-rate parameter (``annual_rate_percent=5`` -> ``annual_rate=0.05``); unchanged when none."""
    plan = _convertible(record)
    if not plan:
        return record
    phrase = rng.choice(_DECIMAL_PHRASES)
    tools = []
    for tool in record.tools:
        renames = plan.get(tool.name)
        if not renames:
            tools.append(tool)
            continue
        params = dict(tool.parameters)
        props = {}
        for name, schema in params.get("properties", {}).items():
            if name in renames:
                text = _PERCENT_PHRASE.sub("", str(schema.get("description", ""))).rstrip(" .")
                schema = {**{k: _decimal(v) if k in _BOUNDS else v for k, v in schema.items()},
                          "description": f"{text} {phrase}."}
            props[renames.get(name, name)] = schema
        params["properties"] = props
        if "required" in params:
            params["required"] = [renames.get(n, n) for n in params["required"]]
        tools.append(tool.model_copy(update={"parameters": params}))

    def step(s: Step) -> Step:
        calls = [c.model_copy(update={"arguments": {plan[c.name].get(k, k): _decimal(v) if k in plan[c.name] else v
                                                    for k, v in c.arguments.items()}}) if c.name in plan else c
                 for c in s.tool_calls]
        return s.model_copy(update={"tool_calls": calls})

    update: dict[str, object] = {"tools": tools, "steps": [step(s) for s in record.steps],
                                 "meta": {**record.meta, "percent_as_fraction": plan}}
    if record.ground_truth is not None and record.ground_truth.calls:
        gt = [{name: ({plan[name].get(k, k): [_decimal(v) for v in vals] if k in plan[name] else vals
                       for k, vals in params.items()} if name in plan else params)
               for name, params in call.items()} for call in record.ground_truth.calls]
        update["ground_truth"] = record.ground_truth.model_copy(update={"calls": gt})
    prov = record.provenance.model_copy(deep=True)
    prov.transformations.append("synthesis.percent_as_fraction")
    update["provenance"] = prov
    return record.model_copy(update=update)


__all__ = ["DECIMAL_SHARE", "percent_as_fraction", "said_as_percent"]
