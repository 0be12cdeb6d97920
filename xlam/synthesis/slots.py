"""Requests with their arguments said inside the sentence, as people write them (``SynthesisConfig.slot_rate``).

A template request states its values in a sentence of their own ("... The inputs: the city is Lima and the
nights is 3."), or, with ``compact_rate``/``inline_rate``, in a list after the request ("... with a city of
Lima and 3 nights"). BFCL's queries, like people, put each value where the sentence needs it ("Find a hotel
in Lima for 3 nights starting June 1"), and run 9's recipe model got 44% of simple_python's calls right, 26%
of those inside multi-part requests, where it left out required arguments 79 times (21 on simple_python)
and skipped 97 parts (docs/QUALITY.md, ``xlam.evaluation.call_accuracy``). ``slots.json`` holds, for each
tool of the ``default`` and ``domains`` catalogs, three requests with slots: ``{param}`` where a value goes
and ``[ ... {param} ...]`` around an optional one (the bracket is dropped when that argument is not set);
every required parameter has a slot outside brackets, booleans have none. They were written for this
catalog from its schemas (not from any benchmark), in other words than the descriptions, one imperative, one
question and one with some first-person context each. Arguments a template has no slot for (booleans, some
optional ones) are said after it (:func:`xlam.synthesis.phrasing.request`).
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Callable, Container
from importlib import resources
from typing import Any

from xlam.records import Tool
from xlam.synthesis.phrasing import (
    PLAIN,
    Voicing,
    and_list,
    bare_string,
    compact_arguments,
    misspell,
    schema_of,
    voice_in_query,
)
from xlam.synthesis.value_forms import voice_flag

SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SEGMENT = re.compile(r"\[([^\]\[]*)\]")
#: After a slotted request: the arguments its template has no slot for.
_REST = ["Use {args}.", "Take {args}.", "Go with {args}.", "Also, {args}."]
_FLAGS = ["{Flags}, please.", "Oh, and {flags}.", "{Flags}."]


@functools.cache
def slot_templates() -> dict[str, tuple[str, ...]]:
    """Tool name -> its request templates, from ``slots.json``."""
    raw = json.loads(resources.files("xlam.synthesis").joinpath("slots.json").read_text(encoding="utf-8"))
    return {name: tuple(entry) for name, entry in raw.items()}


def pick_template(tool_name: str, rng: random.Random) -> str | None:
    """One of the tool's templates, or None for a tool ``slots.json`` lacks: one draw from ``rng`` either way."""
    options = slot_templates().get(tool_name, ())
    index = rng.randrange(max(1, len(options)))
    return options[index] if options else None


def fill(template: str, given: Container[str], say: Callable[[str], str]) -> tuple[str, list[str]] | None:
    """``template`` with each optional segment kept where its argument is ``given`` and every slot replaced by
    ``say(name)``, and the names said in order; None where a slot outside brackets has no argument."""
    kept = _SEGMENT.sub(lambda m: m.group(1) if all(s in given for s in SLOT.findall(m.group(1))) else "", template)
    names = SLOT.findall(kept)
    if any(name not in given for name in names):
        return None
    return SLOT.sub(lambda m: say(m.group(1)), kept), names


def slotted_request(tool: Tool, arguments: dict[str, Any], rng: random.Random, voicing: Voicing = PLAIN, *,
                    typo: bool = False) -> str | None:
    """One of the tool's templates with the argument values in its slots (strings unquoted half the time, as
    :func:`~xlam.synthesis.phrasing.bare_string`), then the arguments it has no slot for: booleans as people ask
    for them ("with outdoor seating"), others as :func:`~xlam.synthesis.phrasing.compact_arguments` says them.
    None for a tool without templates, or a template needing an argument the call does not set. ``typo``:
    one word of the template misspelled (the ``typo`` prompt template), never a value."""
    chosen = pick_template(tool.name, rng)
    if chosen is None:
        return None
    if typo:
        chosen = misspell(chosen, rng)

    def say(name: str) -> str:
        voiced, _unit = voice_in_query(arguments[name], schema_of(tool, name), rng, voicing)
        return bare_string(arguments[name], voiced, rng)

    filled = fill(chosen, arguments, say)
    if filled is None:
        return None
    text, said = filled
    flags: list[str] = []
    others: dict[str, Any] = {}
    for name, value in arguments.items():
        if name in said:
            continue
        if isinstance(value, bool) and (flag := voice_flag(name, value, rng)):
            flags.append(flag)
        else:
            others[name] = value
    if others:
        text = f"{text.rstrip()} {rng.choice(_REST).format(args=compact_arguments(tool, others, rng, voicing=voicing))}"
    if flags:
        said_flags = and_list(flags)
        capital = said_flags[:1].upper() + said_flags[1:]
        text = f"{text.rstrip()} {rng.choice(_FLAGS).format(flags=said_flags, Flags=capital)}"
    return text


__all__ = ["SLOT", "fill", "pick_template", "slot_templates", "slotted_request"]
