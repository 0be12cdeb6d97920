"""Re-scoring multi-turn and memory trajectories written elsewhere (``xlam eval score``): our
``trajectories.jsonl`` (a ``turns`` list per entry) or BFCL's own result files (a ``result`` list of
turns), against the installed BFCL data, with the same checker as :func:`run_multi_turn_eval`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from xlam.bfcl.data import category_of_id, is_memory
from xlam.bfcl.memory import is_prereq
from xlam.bfcl.multi_turn import prepare_entry
from xlam.bfcl.scoring import ItemResult
from xlam.errors import RecordError
from xlam.evaluation.multi_turn import (
    CategoryData,
    MultiTurnError,
    build_v4_result,
    expand_multi_turn_categories,
    score_trajectory,
    write_v4_result_files,
)
from xlam.evaluation.results import RESULTS_FILE, EvalResult
from xlam.jsonl import iter_jsonl


def is_trajectory_file(path: str | Path) -> bool:
    """Whether the first line is a multi-turn trajectory (ours: ``turns``; BFCL's: ``result`` list)."""
    for _, row in iter_jsonl(path):
        return isinstance(row, dict) and ("turns" in row or isinstance(row.get("result"), list))
    return False


def _steps_from_bfcl(result: Any) -> list[list[dict[str, Any]]]:
    """BFCL's result turns (prompt mode: raw strings; FC: lists of ``{name: arguments-json}``) as steps."""
    turns = []
    for turn in result:
        steps: list[dict[str, Any]] = []
        for step in turn:
            if isinstance(step, str):
                steps.append({"text": step, "tool_calls": []})
            elif isinstance(step, list):
                calls = [{"name": n, "arguments": json.loads(a) if isinstance(a, str) else a} for c in step for n, a in c.items()]
                steps.append({"text": "", "tool_calls": calls})
            else:
                raise ValueError(f"a step must be a string or a list of calls, got {type(step).__name__}")
        turns.append(steps)
    return turns


def score_trajectories_file(
    path: str | Path, out_dir: str | Path, *, mode: str | None = None, name: str | None = None, data_dir: str | None = None
) -> EvalResult:
    """Re-score a ``trajectories.jsonl`` (or BFCL result file) into ``out_dir`` (results, summary, report).

    A malformed line raises :class:`RecordError` naming the file, line, field (and turn); nothing is
    written then.
    """
    items: list[ItemResult] = []
    cache: dict[str, CategoryData] = {}
    for lineno, row in iter_jsonl(path):
        if not isinstance(row, dict) or "id" not in row:
            raise RecordError(str(path), lineno, "id", "each line needs an 'id'")
        entry_id = str(row["id"])
        if row.get("prereq") or is_prereq(entry_id):  # memory prerequisites are not scored
            continue
        try:
            category = row.get("category") or category_of_id(entry_id)
        except ValueError as exc:
            raise RecordError(str(path), lineno, "id", str(exc)) from exc
        if category not in cache:
            try:
                cache[category] = CategoryData(expand_multi_turn_categories([category]), data_dir)
            except MultiTurnError as exc:
                raise RecordError(str(path), lineno, "category", str(exc)) from exc
        data = cache[category]
        if entry_id not in data.entries:
            raise RecordError(str(path), lineno, "id", f"id {entry_id!r} is not in BFCL category {category!r}")
        traj = dict(row)
        if "turns" not in traj:
            try:
                traj["turns"] = [{"steps": s} for s in _steps_from_bfcl(row["result"])]
            except (ValueError, AttributeError, TypeError, json.JSONDecodeError) as exc:
                raise RecordError(str(path), lineno, "result", str(exc)) from exc
            traj.setdefault("mode", "native" if any(s["tool_calls"] for t in traj["turns"] for s in t["steps"]) else "prompt")
        _validate_turns(traj["turns"], str(path), lineno)
        entry = data.entries[entry_id]
        prepared = prepare_entry(entry, data_dir) if not is_memory(category) else entry
        items.append(score_trajectory(traj, prepared, data.answers.get(entry_id), category, mode))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / RESULTS_FILE).open("w") as fh:
        for item in items:
            fh.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False, default=str) + "\n")
    result = build_v4_result(name or Path(path).stem, items, out_dir=str(out), config={"trajectories": str(path), "prompt_mode": mode},
                             created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    write_v4_result_files(result, out)
    return result


def _validate_turns(turns: Any, path: str, lineno: int) -> None:
    if not isinstance(turns, list):
        raise RecordError(path, lineno, "turns", "must be a list of turns")
    for t, turn in enumerate(turns):
        steps = turn.get("steps") if isinstance(turn, dict) else None
        if not isinstance(steps, list):
            raise RecordError(path, lineno, f"turns[{t}].steps", "each turn needs a list of steps")
        for s, step in enumerate(steps):
            where = f"turns[{t}].steps[{s}]"
            if not isinstance(step, dict):
                raise RecordError(path, lineno, where, "a step must be an object with 'text' and/or 'tool_calls'")
            if not isinstance(step.get("text", ""), str):
                raise RecordError(path, lineno, f"{where}.text", "must be a string")
            calls = step.get("tool_calls") or []
            if not isinstance(calls, list) or not all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in calls):
                raise RecordError(path, lineno, f"{where}.tool_calls", "must be a list of {'name', 'arguments'}")


__all__ = ["is_trajectory_file", "score_trajectories_file"]
