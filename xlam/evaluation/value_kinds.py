"""Accuracy on the BFCL single-turn call items whose gold answer needs a kind of value the synthesis once never
produced: a number of 1,000 or more (years aside: ``large``), one the query writes with thousands separators or
a scale word (``written``: "$2,000,000", "213 million"), a string with an apostrophe (``apostrophe``: "Let's meet
at 10 AM tomorrow"). Run 9's recipe model got 27% of the 128 non-live ``large`` items, none of the 24
``written`` ones (docs/SYNTHESIS.md, ``magnitude_rate``); ``scripts/value_kinds.py`` prints the table.

    from xlam.evaluation.value_kinds import kind_accuracy
    table = kind_accuracy(load_items("runs/eval"), questions, answers)   # {kind: (items, correct)}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

KINDS = ("large", "written", "apostrophe", "all")
_WRITTEN = re.compile(r"\d,\d{3}|\d\s*(?:million|billion|thousand)\b", re.IGNORECASE)


def _values(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _values(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v, key)
    else:
        yield key, node


def value_kinds(question: Mapping[str, Any], answer: Any) -> set[str]:
    """The value kinds an item's gold answer needs (``large``, ``written``, ``apostrophe``)."""
    out = set()
    for key, value in _values(answer):
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1000 and not (
                "year" in key.lower() and 1800 <= value <= 2100):
            out.add("large")
        if isinstance(value, str) and "'" in value:
            out.add("apostrophe")
    if "large" in out and _WRITTEN.search(json.dumps(question.get("question", ""))):
        out.add("written")
    return out


def kind_accuracy(items: Iterable[Mapping[str, Any]], questions: Mapping[str, Mapping[str, Any]],
                  answers: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """{kind: (items, correct)} over scored items (``results.jsonl`` rows) that have gold calls; ``all`` counts
    every such item."""
    table = {kind: (0, 0) for kind in KINDS}
    for item in items:
        if item["id"] not in answers:  # live_relevance and irrelevance: no gold calls
            continue
        for kind in [*value_kinds(questions[item["id"]], answers[item["id"]]), "all"]:
            total, right = table[kind]
            table[kind] = (total + 1, right + bool(item["valid"]))
    return table


__all__ = ["KINDS", "kind_accuracy", "value_kinds"]
