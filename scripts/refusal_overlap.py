"""Prose answers on BFCL call items by how many of the gold function's words the query repeats, beside the
same share for a training data set's call samples (xlam.evaluation.overlap).

    xlam eval score --outputs docs/eval/fc-smol-2026-12-07-run7/product.outputs.jsonl.gz --out /tmp/product
    PYTHONPATH=. python scripts/refusal_overlap.py /tmp/product [--dataset work/fc-smol/data/<key>/dataset]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlam.bfcl.data import category_of_id, load_entries
from xlam.evaluation.overlap import EDGES, bin_label, prose_by_overlap, training_overlap
from xlam.evaluation.results import load_items, single_turn_call_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a directory `xlam eval score` or `xlam eval bfcl` wrote")
    parser.add_argument("--dataset", help="a data set of records (its call samples' overlap)")
    args = parser.parse_args()
    items = single_turn_call_items(load_items(args.results))
    questions, answers = load_entries(sorted({category_of_id(i["id"]) for i in items}))
    train = [0] * (len(EDGES) + 1)
    if args.dataset:
        from xlam.datasets.reader import read_records

        train = training_overlap(read_records(args.dataset))
    for group in ("non-live", "live"):
        chosen = [i for i in items if i["category"].startswith("live") == (group == "live")]
        if not chosen:
            continue
        bins = prose_by_overlap(chosen, questions, answers)
        print(f"\n{group}\n")
        print("| query repeats of the function's words | BFCL call items | answered in prose | correct | training call samples |")
        print("|---|---:|---:|---:|---:|")
        for index, b in enumerate(bins):
            share = f"{b.prose_rate:.0%}" if b.items else "-"
            print(f"| {bin_label(index)} | {b.items} | {b.prose} ({share}) | {b.correct} | {train[index]} |")


if __name__ == "__main__":
    main()
