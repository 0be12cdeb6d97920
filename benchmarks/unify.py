"""Unify + validate throughput (records/s on one core) against a plain orjson baseline.

For each corpus the same input bytes are (a) loaded and dumped with orjson, line by line (the
baseline: the floor cost of touching the data), and (b) converted with ``run_unify`` into a
dataset and then validated (``xlam data validate``: checksums + every record parsed). Both run in
this one process, so the rates are per core. Each repeat runs the baseline and then unify +
validate, and the best of the repeats is kept; rates are given by wall time and by this process's
CPU time (the per-core cost on a shared machine). ``ratio_unify_to_orjson`` is unify alone (which
already validates every record into the ``Record`` model once); ``ratio_to_orjson`` adds the
separate validate pass that reads the dataset back.

Corpora: every single-turn BFCL v4 file from the installed bfcl-eval package (with their
possible answers), and APIGen-format rows (the repository's fixture rows, varied to N rows).

    .venv/bin/python benchmarks/unify.py [--apigen-rows 20000] [--apigen-tool-sets 0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from xlam.bfcl import data as bfcl
from xlam.converters import UnifyConfig, apigen, run_unify
from xlam.datasets import DatasetReader
from xlam.records import Record

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sources" / "apigen.jsonl"


def make_apigen(path: Path, rows: int, tool_sets: int = 0) -> None:
    """``rows`` rows cycling over the fixture rows with varied queries. ``tool_sets`` > 0 varies the
    tool descriptions too, giving that many distinct ``tools`` strings (0: the fixture's own 5)."""
    base = [orjson.loads(line) for line in FIXTURE.read_bytes().splitlines()]
    with path.open("wb") as fh:
        for i in range(rows):
            row = dict(base[i % len(base)])
            row["id"] = i
            row["query"] = f"{row['query']} (variant {i})"
            if tool_sets:
                tools = orjson.loads(row["tools"])
                for tool in tools:
                    tool["description"] = f"{tool.get('description', '')} (set {i % tool_sets})"
                row["tools"] = orjson.dumps(tools).decode()
            fh.write(orjson.dumps(row) + b"\n")


def clear_converter_caches() -> None:
    """Every repeat starts cold, as a fresh ``xlam data unify`` process does."""
    apigen._converted_tools.cache_clear()


def floor(out: Path, count: int, base_cpu: float, repeat: int) -> dict[str, float]:
    """The pydantic work no converter can skip, timed alone (CPU) on the output records: the one
    validation inside unify (``Record.model_validate`` of the record as dicts), the dump
    (``to_json``) and the validate pass (``Record.model_validate_json`` of each line); and the
    best ratios to orjson possible if everything else (reading, converting, writing) were free."""
    lines = [line for _, _, line in DatasetReader(str(out)).iter_raw()]
    dicts = [orjson.loads(line) for line in lines]
    records = [Record.model_validate_json(line) for line in lines]
    serializer = Record.__pydantic_serializer__

    def best(fn: Callable[[Any], Any], items: list[Any]) -> float:
        times = []
        for _ in range(repeat):
            started = time.process_time()
            for item in items:
                fn(item)
            times.append(time.process_time() - started)
        return min(times)

    validate = best(Record.model_validate, dicts)
    dump = best(lambda r: serializer.to_json(r, exclude_none=True), records)
    validate_json = best(Record.model_validate_json, lines)
    return {
        "floor_us_orjson_baseline": round(base_cpu / count * 1e6, 2),
        "floor_us_model_validate": round(validate / count * 1e6, 2),
        "floor_us_to_json": round(dump / count * 1e6, 2),
        "floor_us_model_validate_json": round(validate_json / count * 1e6, 2),
        "floor_max_ratio_unify": round(base_cpu / (validate + dump), 3),
        "floor_max_ratio_unify_validate": round(base_cpu / (validate + dump + validate_json), 3),
    }


class Clock:
    """Wall time (``perf_counter``) and this process's CPU time (``process_time``) together: on a
    shared machine the CPU time is the per-core cost, the wall time also counts waiting."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        elapsed = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return elapsed


def baseline(paths: list[Path]) -> tuple[int, float, float]:
    """orjson load + dump of every line (answer files included for BFCL: the same bytes unify reads).
    Returns (lines, wall seconds, CPU seconds)."""
    clock = Clock()
    n = 0
    for path in paths:
        with path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.dumps(orjson.loads(line))
                    n += 1
    return (n, *clock.lap())


def unify_and_validate(source: str, inputs: list[str], config: UnifyConfig,
                       work: Path) -> tuple[int, tuple[float, float], tuple[float, float]]:
    """(records, (wall, cpu) of unify, (wall, cpu) of validate)."""
    out = work / f"{source}-out"
    shutil.rmtree(out, ignore_errors=True)
    clear_converter_caches()
    clock = Clock()
    report = run_unify(source, inputs, str(out), config)
    unified = clock.lap()
    count = sum(1 for _ in DatasetReader(str(out), verify_checksums=True))
    validated = clock.lap()
    assert count == report.output_records
    return count, unified, validated


def measure(name: str, source: str, inputs: list[str], files: list[Path], config: UnifyConfig, work: Path,
            repeat: int) -> dict[str, float | int | str]:
    # Interleaved (baseline, then unify + validate, per repeat) so both see the same machine load.
    bases, runs = [], []
    for _ in range(repeat):
        bases.append(baseline(files))
        runs.append(unify_and_validate(source, inputs, config, work))
    base_lines, count = bases[0][0], runs[0][0]
    result: dict[str, float | int | str] = {"corpus": name, "records": count, "source_lines": base_lines}
    for index, clock in ((0, "wall"), (1, "cpu")):
        best_base = min(b[1 + index] for b in bases)
        best = min(runs, key=lambda r: r[1][index] + r[2][index])
        unify_s, validate_s = best[1][index], best[2][index]
        result.update({
            f"{clock}_orjson_records_per_s": round(count / best_base),
            f"{clock}_unify_records_per_s": round(count / unify_s),
            f"{clock}_validate_records_per_s": round(count / validate_s),
            f"{clock}_unify_validate_records_per_s": round(count / (unify_s + validate_s)),
            f"{clock}_ratio_unify_to_orjson": round(best_base / unify_s, 3),
            f"{clock}_ratio_to_orjson": round(best_base / (unify_s + validate_s), 3),
        })
    result.update(floor(work / f"{source}-out", count, min(b[2] for b in bases), repeat))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apigen-rows", type=int, default=20_000)
    parser.add_argument("--apigen-tool-sets", type=int, default=0,
                        help="distinct APIGen tool lists (0: the fixture's 5; unify caches converted tool lists)")
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
        make_apigen(apigen, args.apigen_rows, args.apigen_tool_sets)
        results.append(measure("apigen", "apigen", [str(apigen)], [apigen], UnifyConfig(), work, args.repeat))
    print(json.dumps({"machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
                      "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
