"""Scoring outputs produced elsewhere (e.g. a vLLM deployment): ``{"id", "output"}`` JSON lines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from xlam.bfcl.data import category_of_id, load_possible_answers, load_questions
from xlam.bfcl.scoring import ItemResult, PromptMode, score_output
from xlam.errors import RecordError
from xlam.evaluation.results import RESULTS_FILE, EvalResult, build_result, write_result_files
from xlam.jsonl import iter_jsonl
from xlam.records import ToolCall


def read_outputs(path: str | Path) -> list[dict[str, Any]]:
    """Lines ``{"id": str, "output": str}`` (optionally ``"tool_calls": [{"name", "arguments"}]``)."""
    rows = []
    for lineno, row in iter_jsonl(path):
        if not isinstance(row, dict) or "id" not in row:
            raise RecordError(str(path), lineno, "id", "each line needs an 'id'")
        if not isinstance(row.get("output", ""), str):
            raise RecordError(str(path), lineno, "output", "'output' must be the raw model text (a string)")
        rows.append(row)
    return rows


def score_outputs_file(
    outputs: str | Path,
    out_dir: str | Path,
    *,
    category: str | None = None,
    mode: PromptMode = "prompt",
    name: str | None = None,
    data_dir: str | None = None,
) -> EvalResult:
    """Score every line of ``outputs``; the category comes from ``category`` or each id."""
    rows = read_outputs(outputs)
    cache: dict[str, tuple[dict[str, dict[str, Any]], dict[str, list[Any]]]] = {}
    items: list[ItemResult] = []
    for lineno, row in enumerate(rows, 1):
        cat = category or category_of_id(str(row["id"]))
        if cat not in cache:
            cache[cat] = ({str(q["id"]): q for q in load_questions(cat, data_dir)}, load_possible_answers(cat, data_dir))
        questions, answers = cache[cat]
        entry = questions.get(str(row["id"]))
        if entry is None:
            raise RecordError(str(outputs), lineno, "id", f"id {row['id']!r} is not in BFCL category {cat!r}")
        calls = [ToolCall(name=c["name"], arguments=c.get("arguments") or {}) for c in row.get("tool_calls") or []]
        items.append(score_output(cat, row.get("output", ""), entry, answers.get(str(row["id"])), mode=mode, tool_calls=calls or None))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / RESULTS_FILE).open("w") as fh:
        for item in items:
            fh.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n")
    result = build_result(name or Path(outputs).stem, items, out_dir=str(out), config={"prompt_mode": mode, "outputs": str(outputs)},
                          created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    write_result_files(result, out)
    return result
