"""Wrong string arguments on BFCL's single-call items, by kind, answers that repeat a call, and optional
arguments left out where BFCL wants them (xlam.evaluation.value_errors).

    xlam eval score --outputs docs/eval/fc-smol-2026-12-07-run10/slots.outputs.jsonl.gz --out /tmp/slots
    PYTHONPATH=. python scripts/value_errors.py [--non-live] [--examples 5] /tmp/slots [/tmp/other ...]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from xlam.bfcl.data import category_of_id, load_entries
from xlam.evaluation.results import load_items, single_turn_call_items
from xlam.evaluation.value_errors import (
    KINDS,
    kind_counts,
    left_out_optionals,
    repeated_call_items,
    string_errors,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="directories `xlam eval score` or `xlam eval bfcl` wrote")
    parser.add_argument("--non-live", action="store_true", help="only the non-live categories")
    parser.add_argument("--examples", type=int, default=0, help="print this many wrong values of each kind")
    args = parser.parse_args()
    print("| results | " + " | ".join(KINDS) + " | all wrong strings | answers repeating a call |")
    print("|---|" + "---:|" * (len(KINDS) + 2))
    examples = []
    left_out = []
    for results in args.results:
        items = [i for i in single_turn_call_items(load_items(results))
                 if not (args.non_live and category_of_id(i["id"]).startswith("live"))]
        questions, answers = load_entries(sorted({category_of_id(i["id"]) for i in items}))
        errors = string_errors(items, questions, answers)
        counts = kind_counts(errors)
        repeats = ", ".join(f"{c} {n}" for c, n in repeated_call_items(items).items()) or "0"
        print(f"| {results.name} | " + " | ".join(str(counts[k]) for k in KINDS) + f" | {counts['all']} | {repeats} |")
        examples += [(results.name, e) for e in errors]
        left_out.append((results.name, left_out_optionals(items, questions, answers)))
    print("\n| results | optional arguments left out: said | flag | implied | items |")
    print("|---|---:|---:|---:|---:|")
    for name, left in left_out:
        kinds = Counter(x.kind for x in left)
        print(f"| {name} | {kinds['said']} | {kinds['flag']} | {kinds['implied']} | {len({x.id for x in left})} |")
    for kind in KINDS if args.examples else ():
        print(f"\n{kind}:")
        for name, e in [x for x in examples if x[1].kind == kind][:args.examples]:
            print(f"  {name} {e.id} {e.parameter}={e.got!r}, expected one of {list(e.expected)[:3]}")


if __name__ == "__main__":
    main()
