"""Labelled corruptions of a verified answer: rejected responses that are certainly wrong.

Each corruption takes the record (its tools, query and first assistant step) and returns a
corrupted copy of that step, or ``None`` when it does not apply (e.g. no parallel call to drop).
Every produced pair is then verified (chosen passes, rejected fails the BFCL-style checker).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from xlam.records import Category, Record, Step, Tool, ToolCall
from xlam.synthesis.values import sample_arguments, sample_value

CORRUPTIONS: tuple[str, ...] = ("wrong_function", "missing_argument", "extra_argument", "wrong_type", "wrong_value",
                                "dropped_parallel_call", "hallucinated_tool", "call_on_irrelevance")
_EXTRA_NAMES = ("verbose", "format", "unit_system", "precision_mode", "locale", "api_version", "callback")
_FAKE_SUFFIXES = ("_v2", "_advanced", "_pro", "_lookup", "_api")

Corruption = Callable[[Record, Step, random.Random], tuple[Step, str] | None]


def _step(calls: list[ToolCall]) -> Step:
    return Step(tool_calls=[ToolCall(name=c.name, arguments=dict(c.arguments)) for c in calls])


def _pick_call(step: Step, rng: random.Random) -> int | None:
    return rng.randrange(len(step.tool_calls)) if step.tool_calls else None


def wrong_function(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    i = _pick_call(step, rng)
    if i is None:
        return None
    called = {c.name for c in step.tool_calls}
    others = [t.name for t in record.tools if t.name not in called]
    if not others:
        return None
    out = _step(step.tool_calls)
    new = rng.choice(others)
    reason = f"calls {new} instead of {out.tool_calls[i].name}"
    out.tool_calls[i].name = new
    return out, reason


def missing_argument(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    options = [(i, a) for i, c in enumerate(step.tool_calls) for a in c.arguments
               if (t := record.tool(c.name)) is not None and a in t.required]
    if not options:
        return None
    i, arg = rng.choice(options)
    out = _step(step.tool_calls)
    del out.tool_calls[i].arguments[arg]
    return out, f"drops required argument {arg!r} of {out.tool_calls[i].name}"


def extra_argument(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    i = _pick_call(step, rng)
    if i is None:
        return None
    tool = record.tool(step.tool_calls[i].name)
    names = [n for n in _EXTRA_NAMES if tool is None or n not in tool.properties]
    out = _step(step.tool_calls)
    name = rng.choice(names)
    out.tool_calls[i].arguments[name] = rng.choice([True, "auto", 3])
    return out, f"adds argument {name!r} that {out.tool_calls[i].name} does not define"


def _retyped(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return str(value)
    return 0


def wrong_type(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    options = [(i, a) for i, c in enumerate(step.tool_calls) for a in c.arguments]
    if not options:
        return None
    i, arg = rng.choice(options)
    out = _step(step.tool_calls)
    old = out.tool_calls[i].arguments[arg]
    out.tool_calls[i].arguments[arg] = _retyped(old)
    return out, f"passes {arg!r} as {type(out.tool_calls[i].arguments[arg]).__name__} instead of {type(old).__name__}"


def _different_value(value: Any, schema: dict[str, Any], rng: random.Random, name: str) -> Any:
    enum = schema.get("enum")
    if enum:
        others = [v for v in enum if v != value]
        return rng.choice(others) if others else None
    if isinstance(value, bool):
        return not value
    for _ in range(10):
        new = sample_value(schema, rng, name=name)
        if type(new) is type(value) and new != value and str(new).lower() != str(value).lower():
            return new
    if isinstance(value, int):
        return value + rng.choice([1, 2, 10])
    if isinstance(value, float):
        return round(value + rng.choice([1.5, 10.0, -2.5]), 2)
    if isinstance(value, str):
        return value + " extra"
    if isinstance(value, list) and value:
        return value[:-1] if len(value) > 1 else value + value
    return None


def wrong_value(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    options = [(i, a) for i, c in enumerate(step.tool_calls) for a in c.arguments]
    rng.shuffle(options)
    for i, arg in options:
        tool = record.tool(step.tool_calls[i].name)
        schema = tool.properties.get(arg, {}) if tool is not None else {}
        old = step.tool_calls[i].arguments[arg]
        new = _different_value(old, schema if isinstance(schema, dict) else {}, rng, arg)
        if new is None:
            continue
        out = _step(step.tool_calls)
        out.tool_calls[i].arguments[arg] = new
        return out, f"sets {arg!r} to {new!r} instead of {old!r}"
    return None


def dropped_parallel_call(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    if len(step.tool_calls) < 2:
        return None
    out = _step(step.tool_calls)
    dropped = out.tool_calls.pop(rng.randrange(len(out.tool_calls)))
    return out, f"drops one of the {len(step.tool_calls)} parallel calls ({dropped.name})"


def hallucinated_tool(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    i = _pick_call(step, rng)
    if i is None:
        return None
    offered = {t.name for t in record.tools}
    out = _step(step.tool_calls)
    base = out.tool_calls[i].name
    name = next(base + s for s in rng.sample(_FAKE_SUFFIXES, len(_FAKE_SUFFIXES)) if base + s not in offered)
    out.tool_calls[i].name = name
    return out, f"calls {name}, which is not among the offered tools"


def call_on_irrelevance(record: Record, step: Step, rng: random.Random) -> tuple[Step, str] | None:
    if step.tool_calls or record.inferred_category() not in (Category.IRRELEVANCE, Category.CLARIFICATION):
        return None
    callable_tools: list[Tool] = [t for t in record.tools if t.properties] or list(record.tools)
    if not callable_tools:
        return None
    tool = rng.choice(callable_tools)
    args = sample_arguments(tool.parameters, rng, optional_rate=0.0)
    return _step([ToolCall(name=tool.name, arguments=args)]), (
        f"calls {tool.name} although {'no offered tool fits' if record.inferred_category() == Category.IRRELEVANCE else 'a required value is missing'}"
    )


REGISTRY: dict[str, Corruption] = {
    "wrong_function": wrong_function,
    "missing_argument": missing_argument,
    "extra_argument": extra_argument,
    "wrong_type": wrong_type,
    "wrong_value": wrong_value,
    "dropped_parallel_call": dropped_parallel_call,
    "hallucinated_tool": hallucinated_tool,
    "call_on_irrelevance": call_on_irrelevance,
}


def applicable(record: Record, kinds: list[str] | tuple[str, ...] = CORRUPTIONS) -> list[str]:
    """The corruption kinds that can apply to ``record`` (by shape, before sampling)."""
    step = record.steps[0] if record.steps else Step()
    category = record.inferred_category()
    out = []
    for kind in kinds:
        if kind == "call_on_irrelevance":
            ok = not step.tool_calls and category in (Category.IRRELEVANCE, Category.CLARIFICATION) and bool(record.tools)
        elif not step.tool_calls:
            ok = False
        elif kind == "wrong_function":
            ok = len(record.tools) > len({c.name for c in step.tool_calls})
        elif kind == "missing_argument":
            ok = any(a in (t.required if (t := record.tool(c.name)) else []) for c in step.tool_calls for a in c.arguments)
        elif kind == "dropped_parallel_call":
            ok = len(step.tool_calls) >= 2
        elif kind in ("wrong_type", "wrong_value"):
            ok = any(c.arguments for c in step.tool_calls)
        else:
            ok = True
        if ok:
            out.append(kind)
    return out


__all__ = ["CORRUPTIONS", "REGISTRY", "applicable"]
