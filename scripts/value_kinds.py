"""Accuracy on the BFCL single-turn call items whose gold answer needs a kind of value the synthesis once
never produced: a number of 1,000 or more (years aside), one the query writes with thousands separators or a
scale word ("$2,000,000", "213 million"), a string with an apostrophe ("Let's meet at 10 AM tomorrow").

    xlam eval score --outputs docs/eval/fc-smol-2026-12-07-run9/baseline.outputs.jsonl.gz --out /tmp/baseline
    PYTHONPATH=. python scripts/value_kinds.py /tmp/baseline [/tmp/other ...]
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xlam.bfcl.data import category_of_id, load_entries
from xlam.evaluation.results import load_items, single_turn_call_items

WRITTEN = re.compile(r"\d,\d{3}|\d\s*(?:million|billion|thousand)\b", re.IGNORECASE)


def _values(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _values(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v, key)
    else:
        yield key, node


def kinds(question: dict[str, Any], answer: list[Any]) -> set[str]:
    """The value kinds an item's gold answer needs (``large``, ``written``, ``apostrophe``)."""
    out = set()
    for key, value in _values(answer):
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1000 and not (
                "year" in key.lower() and 1800 <= value <= 2100):
            out.add("large")
        if isinstance(value, str) and "'" in value:
            out.add("apostrophe")
    if "large" in out and WRITTEN.search(json.dumps(question["question"])):
        out.add("written")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="directories `xlam eval score` or `xlam eval bfcl` wrote")
    parser.add_argument("--non-live", action="store_true", help="only the non-live categories (compare runs that "
                        "scored live with runs that did not)")
    args = parser.parse_args()
    print("| results | kind | items | correct | share |")
    print("|---|---|---:|---:|---:|")
    for results in args.results:
        items = [i for i in single_turn_call_items(load_items(results))
                 if not (args.non_live and category_of_id(i["id"]).startswith("live"))]
        questions, answers = load_entries(sorted({category_of_id(i["id"]) for i in items}))
        by_kind: dict[str, list[bool]] = {}
        for item in items:
            if item["id"] not in answers:  # live_relevance: no gold calls
                continue
            for kind in [*sorted(kinds(questions[item["id"]], answers[item["id"]])), "all"]:
                by_kind.setdefault(kind, []).append(bool(item["valid"]))
        for kind in ("large", "written", "apostrophe", "all"):
            flags = by_kind.get(kind, [])
            share = f"{sum(flags) / len(flags):.1%}" if flags else "-"
            print(f"| {results.name} | {kind} | {len(flags)} | {sum(flags)} | {share} |")


if __name__ == "__main__":
    main()
