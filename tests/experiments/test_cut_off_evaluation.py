"""An evaluation that resumed and then died before writing its summary (run 5: a live evaluation resumed on a
warm GPU machine and ran out of GPU memory) leaves ``summary.json`` counting fewer items than
``results.jsonl`` holds: the experiment report counts every scored item, as rescoring the exported outputs
does."""

from __future__ import annotations

import json
from pathlib import Path

from xlam.bfcl.data import load_possible_answers, load_questions
from xlam.bfcl.scoring import score_output
from xlam.evaluation.results import (
    RESULTS_FILE,
    build_result,
    load_current_result,
    load_item_results,
    write_result_files,
)
from xlam.experiments.report import _row


def _scored(n: int) -> list[dict]:
    questions = load_questions("simple_python")[:n]
    answers = load_possible_answers("simple_python")
    lines = []
    for i, entry in enumerate(questions):
        gold = answers[entry["id"]][0]
        name, params = next(iter(gold.items()))
        # every other item answered with its first allowed values, the rest with prose
        call = name + "(" + ", ".join(f"{k}={v[0]!r}" for k, v in params.items() if v and v[0] != "") + ")"
        raw = f"[{call}]" if i % 2 == 0 else "I cannot help with that."
        item = score_output("simple_python", raw, entry, answers[entry["id"]])
        lines.append({**item.model_dump(mode="json"), "raw_output": raw})
    return lines


def test_report_counts_items_scored_after_the_last_summary(tmp_path: Path) -> None:
    lines = _scored(10)
    (tmp_path / RESULTS_FILE).write_text("".join(json.dumps(line) + "\n" for line in lines[:6]))
    write_result_files(build_result("baseline", load_item_results(tmp_path), seconds=3.0), tmp_path)
    with (tmp_path / RESULTS_FILE).open("a") as sink:  # resumed, four more scored, then killed
        sink.writelines(json.dumps(line) + "\n" for line in lines[6:])
    stale = json.loads((tmp_path / "summary.json").read_text())
    assert stale["categories"]["simple_python"]["total"] == 6

    current = load_current_result(tmp_path)
    correct = sum(1 for line in lines if line["valid"])
    assert current.categories["simple_python"].total == 10
    assert current.categories["simple_python"].correct == correct and 0 < correct < 10
    assert current.seconds == 3.0 and current.name == "baseline"
    row = _row(tmp_path)
    assert row is not None and row["totals"]["simple_python"] == 10
    assert row["categories"]["simple_python"] == round(100 * correct / 10, 2)
    assert row["failures"]["prose"] == 5


def test_a_complete_summary_is_read_as_written(tmp_path: Path) -> None:
    lines = _scored(4)
    (tmp_path / RESULTS_FILE).write_text("".join(json.dumps(line) + "\n" for line in lines))
    write_result_files(build_result("x", load_item_results(tmp_path), seconds=1.5, machine="m"), tmp_path)
    assert load_current_result(tmp_path).model_dump() == json.loads((tmp_path / "summary.json").read_text())
