"""Accuracy call by call on BFCL's single-turn call categories (xlam.evaluation.call_accuracy).

    xlam eval score --outputs docs/eval/fc-smol-2026-12-07-run9/baseline.outputs.jsonl.gz --out /tmp/baseline
    PYTHONPATH=. python scripts/call_accuracy.py /tmp/baseline
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlam.bfcl.data import category_of_id, load_possible_answers, load_questions
from xlam.evaluation.call_accuracy import call_accuracy
from xlam.evaluation.results import load_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a directory `xlam eval score` or `xlam eval bfcl` wrote")
    args = parser.parse_args()
    items = [i for i in load_items(args.results) if "irrelevance" not in i["category"]
             and not i["category"].startswith(("multi_turn", "memory", "format"))]
    questions, answers = {}, {}
    for category in sorted({category_of_id(i["id"]) for i in items}):
        questions.update({q["id"]: q for q in load_questions(category)})
        answers.update(load_possible_answers(category))
    print("| category | items | gold calls | calls right | share | items with the gold number of calls |")
    print("|---|---:|---:|---:|---:|---:|")
    for category, row in sorted(call_accuracy(items, questions, answers).items()):
        print(f"| {category} | {row.items} | {row.calls} | {row.right} | {row.rate:.1%} | {row.count_right} |")


if __name__ == "__main__":
    main()
