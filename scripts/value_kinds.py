"""Accuracy on the BFCL single-turn call items that need a large number, a number written with separators or a
scale word, or a string with an apostrophe (xlam.evaluation.value_kinds).

    xlam eval score --outputs docs/eval/fc-smol-2026-12-07-run10/baseline.outputs.jsonl.gz --out /tmp/baseline
    PYTHONPATH=. python scripts/value_kinds.py [--non-live] /tmp/baseline [/tmp/other ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlam.bfcl.data import category_of_id, load_entries
from xlam.evaluation.results import load_items, single_turn_call_items
from xlam.evaluation.value_kinds import kind_accuracy


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
        for kind, (total, right) in kind_accuracy(items, questions, answers).items():
            share = f"{right / total:.1%}" if total else "-"
            print(f"| {results.name} | {kind} | {total} | {right} | {share} |")


if __name__ == "__main__":
    main()
