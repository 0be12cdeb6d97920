"""Unify + validate throughput (records/s on one core) against a plain orjson baseline.

For each corpus the same input bytes are (a) loaded and dumped with orjson, line by line (the
baseline: the floor cost of touching the data), and (b) converted with ``run_unify`` into a
dataset and then validated (``xlam data validate``: checksums + every record parsed). Both run in
this one process, so the rates are per core.

Corpora: every single-turn BFCL v4 file from the installed bfcl-eval package (with their
possible answers), and APIGen-format rows (the repository's fixture rows, varied to N rows).

    .venv/bin/python benchmarks/unify.py [--apigen-rows 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import orjson

from xlam.bfcl import data as bfcl
from xlam.converters import UnifyConfig, run_unify
from xlam.datasets import DatasetReader

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sources" / "apigen.jsonl"


def make_apigen(path: Path, rows: int) -> None:
    base = [orjson.loads(line) for line in FIXTURE.read_bytes().splitlines()]
    with path.open("wb") as fh:
        for i in range(rows):
            row = dict(base[i % len(base)])
            row["id"] = i
            row["query"] = f"{row['query']} (variant {i})"
            fh.write(orjson.dumps(row) + b"\n")


def baseline(paths: list[Path]) -> tuple[int, float]:
    """orjson load + dump of every line (answer files included for BFCL: the same bytes unify reads)."""
    started = time.perf_counter()
    n = 0
    for path in paths:
        with path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.dumps(orjson.loads(line))
                    n += 1
    return n, time.perf_counter() - started


def unify_and_validate(source: str, inputs: list[str], config: UnifyConfig, work: Path) -> tuple[int, float, float]:
    out = work / f"{source}-out"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    report = run_unify(source, inputs, str(out), config)
    unified = time.perf_counter()
    count = sum(1 for _ in DatasetReader(str(out), verify_checksums=True))
    validated = time.perf_counter()
    assert count == report.output_records
    return count, unified - started, validated - unified


def measure(name: str, source: str, inputs: list[str], files: list[Path], config: UnifyConfig, work: Path,
            repeat: int) -> dict[str, float | int | str]:
    best_base = min(baseline(files)[1] for _ in range(repeat))
    base_lines = baseline(files)[0]
    runs = [unify_and_validate(source, inputs, config, work) for _ in range(repeat)]
    count = runs[0][0]
    best = min(runs, key=lambda r: r[1] + r[2])
    total = best[1] + best[2]
    result = {
        "corpus": name,
        "records": count,
        "source_lines": base_lines,
        "orjson_records_per_s": round(count / best_base),
        "unify_records_per_s": round(count / best[1]),
        "validate_records_per_s": round(count / best[2]),
        "unify_validate_records_per_s": round(count / total),
        "ratio_to_orjson": round(best_base / total, 3),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apigen-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data_dir = bfcl.question_file("simple_python").parent
        cats = list(bfcl.SINGLE_TURN_CATEGORIES)
        files = [bfcl.question_file(c) for c in cats] + [p for c in cats if (p := bfcl.answer_file(c)) is not None]
        results.append(measure("bfcl-single-turn", "bfcl", [str(data_dir)], files, UnifyConfig(categories=cats), work,
                               args.repeat))
        apigen = work / "apigen.jsonl"
        make_apigen(apigen, args.apigen_rows)
        results.append(measure("apigen", "apigen", [str(apigen)], [apigen], UnifyConfig(), work, args.repeat))
    print(json.dumps({"machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
