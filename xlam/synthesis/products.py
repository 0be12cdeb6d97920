"""Parallel requests over every combination of two argument lists (``SynthesisConfig.product_rate``).

BFCL's parallel queries often ask for a grid, not a list: "the boiling and melting points of water and
iron at sea levels of 0 and 1000 meters" is four calls, "the protein sequences of BRCA1 and BRCA2 in
Homo sapiens and Pan troglodytes" four, "... for 'insertion', then repeat it for 'deletion' and
'substitution'" one call per sequence and mutation. Run 6's models gave too few calls on 73 of the 400
parallel items (the other wrong-count items gave too many): the template synthesis only ever said one list
of cases. A product draft takes one argument set, picks two of its scalar arguments, draws other values
for each and asks for every combination, in one of several wordings; the calls are the combinations in
the order the request says them.
"""

from __future__ import annotations

import random
from typing import Any

from xlam.records import Tool, canonical_json
from xlam.synthesis.phrasing import (
    PLAIN,
    Voicing,
    and_list,
    bare_string,
    compact_arguments,
    head_of,
    noun_of,
    schema_of,
    voice_in_query,
)
from xlam.synthesis.values import ValueRates, sample_arguments


def _scalar(value: Any) -> bool:
    return not isinstance(value, bool | list | dict) and value is not None


def product_sets(tool: Tool, rng: random.Random, *, optional_rate: float, max_calls: int,
                 rates: ValueRates | None = None) -> tuple[dict[str, Any], str, list[Any], str, list[Any]] | None:
    """One base argument set and two of its scalar arguments with two or more distinct values each
    (``len(a) * len(b) <= max_calls``), or None when the tool has no two such arguments. ``rates``: the
    further keywords of :func:`sample_arguments` (magnitudes, apostrophes)."""
    rates = rates or {}
    base = sample_arguments(tool.parameters, rng, optional_rate=optional_rate, **rates)
    keys = [k for k, v in base.items() if _scalar(v) and "enum" not in schema_of(tool, k)]
    if len(keys) < 2 or max_calls < 4:
        return None
    first, second = rng.sample(keys, 2)
    sizes = [(2, 2)] + [(a, b) for a, b in ((3, 2), (2, 3)) if a * b <= max_calls]
    size_a, size_b = rng.choice(sizes)
    values: dict[str, list[Any]] = {first: [base[first]], second: [base[second]]}
    for _ in range(24):
        other = sample_arguments(tool.parameters, rng, optional_rate=1.0, **rates)
        for key, size in ((first, size_a), (second, size_b)):
            value = other.get(key)
            if (len(values[key]) < size and _scalar(value)
                    and canonical_json(value) not in {canonical_json(v) for v in values[key]}):
                values[key].append(value)
        if len(values[first]) == size_a and len(values[second]) == size_b:
            return base, first, values[first], second, values[second]
    return None


def product_request(tool: Tool, base: dict[str, Any], first: str, first_values: list[Any], second: str,
                    second_values: list[Any], rng: random.Random, *, template: str = "formal",
                    voicing: Voicing = PLAIN) -> tuple[str, list[dict[str, Any]]]:
    """The request and its argument sets (one per combination, in the order the request says them)."""
    head = head_of(tool, rng, template, voicing)
    end = "?" if head.endswith("?") else "."
    stem = head.rstrip(".?")
    schema_a, schema_b = schema_of(tool, first), schema_of(tool, second)
    noun_a, noun_b = noun_of(first, schema_a), noun_of(second, schema_b)
    said_a = [bare_string(v, voice_in_query(v, schema_a, rng, voicing)[0], rng) for v in first_values]
    said_b = [bare_string(v, voice_in_query(v, schema_b, rng, voicing)[0], rng) for v in second_values]
    fixed = {k: v for k, v in base.items() if k not in (first, second)}
    extra = compact_arguments(tool, fixed, rng, voicing=voicing) if fixed else ""
    with_extra = f", with {extra}" if extra else ""
    outer_first = True
    form = rng.randrange(5)
    if form == 0:    # "... for radius 3 and 5, each with height 2 and 4"
        text = f"{stem} for {noun_a} {and_list(said_a)}, each with {noun_b} {and_list(said_b)}{with_extra}{end}"
    elif form == 1:  # "... for every combination of radius (3, 5) and height (2, 4)"
        text = (f"{stem} for every combination of {noun_a} ({', '.join(said_a)}) and {noun_b} "
                f"({', '.join(said_b)}){with_extra}{end}")
    elif form == 2:  # "... for both 3 and 5 as the radius, and for each of them with height 2 and 4"
        text = (f"{stem} for {'both ' if len(said_a) == 2 else ''}{and_list(said_a)} as the {noun_a}, "
                f"and for each of them with {noun_b} {and_list(said_b)}{with_extra}{end}")
    elif form == 3:  # "... with radius 3 and height 2. Then repeat it for height 4, and do all of that again for radius 5."
        rest_b = and_list(said_b[1:])
        again = rng.choice(["do all of that again for", "repeat the whole thing for", "then the same for"])
        text = (f"{stem} with {noun_a} {said_a[0]} and {noun_b} {said_b[0]}{with_extra}{end} "
                f"Then repeat it for {noun_b} {rest_b}, and {again} {noun_a} {and_list(said_a[1:])}.")
    else:            # "... for height 2 and 4, in each case for radius 3 and 5" (the second list outermost)
        outer_first = False
        text = f"{stem} for {noun_b} {and_list(said_b)}, in each case for {noun_a} {and_list(said_a)}{with_extra}{end}"
    if outer_first:
        sets = [{**base, first: a, second: b} for a in first_values for b in second_values]
    else:
        sets = [{**base, first: a, second: b} for b in second_values for a in first_values]
    return text, sets


__all__ = ["product_request", "product_sets"]
