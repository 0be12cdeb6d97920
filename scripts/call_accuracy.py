"""Accuracy call by call on BFCL's single-turn call categories (xlam.evaluation.call_accuracy).

    xlam eval score --outputs docs/eval/fc-smol-2026-12-07-run9/baseline.outputs.jsonl.gz --out /tmp/baseline
    PYTHONPATH=. python scripts/call_accuracy.py /tmp/baseline
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlam.bfcl.data import category_of_id, load_entries
from xlam.evaluation.call_accuracy import call_accuracy
from xlam.evaluation.results import load_items, single_turn_call_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a directory `xlam eval score` or `xlam eval bfcl` wrote")
    args = parser.parse_args()
    items = single_turn_call_items(load_items(args.results))
    questions, answers = load_entries(sorted({category_of_id(i["id"]) for i in items}))
    print("| category | items | gold calls | calls right | share | items with the gold number of calls |")
    print("|---|---:|---:|---:|---:|---:|")
    for category, row in sorted(call_accuracy(items, questions, answers).items()):
        print(f"| {category} | {row.items} | {row.calls} | {row.right} | {row.rate:.1%} | {row.count_right} |")


if __name__ == "__main__":
    main()
