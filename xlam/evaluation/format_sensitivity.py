"""Running and scoring BFCL v4 ``format_sensitivity`` (see :mod:`xlam.bfcl.format_sensitivity`).

``run_format_sensitivity_eval(config, out_dir)`` generates one answer per (entry, config) item in
prompt mode (the configs are system-prompt variants), scores it with the config's decoder and the
entry's AST checker, and appends rows ``{id, category: "format_sensitivity", config, valid,
error_type, raw_output, ...}`` to ``results.jsonl``; the summary adds the accuracy per config and
the spread across configs (``format_sensitivity_max_delta`` / ``_std``, in percentage points), and
report.md a per-config table. ``score_format_sensitivity_file`` re-scores ``{"id", "output"}`` lines.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from xlam.bfcl.checker import Verdict, check
from xlam.bfcl.format_sensitivity import CATEGORY, decode, items, prompt_messages, split_id, spread
from xlam.bfcl.scoring import ItemResult, Summary
from xlam.errors import RecordError
from xlam.evaluation.config import EvalConfig
from xlam.evaluation.results import REPORT_FILE, EvalResult, load_items
from xlam.formats import FormatParseError
from xlam.generators import ChatRequest, Generator
from xlam.jsonl import iter_jsonl


def score_item(item: dict[str, Any], text: str) -> ItemResult:
    base = {"id": item["id"], "category": CATEGORY, "raw_output": text}
    try:
        decoded = decode(text, item["config"])
    except FormatParseError as exc:
        return ItemResult(**base, valid=False, error_type="ast_decoder:decoder_failed", errors=[f"Invalid syntax. Failed to decode AST. {exc}"])
    try:
        verdict = check(item["category"], decoded, item["entry"], item["answer"])
    except (KeyError, TypeError, AttributeError, NotImplementedError, ValueError) as exc:
        verdict = Verdict(valid=False, error_type="checker_error", errors=[f"{type(exc).__name__}: {exc}"])
    return ItemResult(**base, valid=verdict.valid, error_type=verdict.error_type, errors=verdict.errors, decoded=json.loads(json.dumps(decoded, default=repr)))


def per_config(results: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for row in results:
        if row.get("category") != CATEGORY:
            continue
        config, _ = split_id(row["id"])
        correct, total = out.get(config, (0, 0))
        out[config] = (correct + int(bool(row["valid"])), total + 1)
    return out


def summaries(rows: list[dict[str, Any]]) -> list[Summary]:
    """Per-config accuracies and bfcl-eval's spread across configs."""
    counts = per_config(rows)
    if not counts:
        return []
    accuracies = {c: k / n for c, (k, n) in counts.items()}
    stats = spread(accuracies)
    out = [Summary(name="format_sensitivity_max_delta", value=stats["max_delta"] / 100, categories=[CATEGORY], complete=len(counts) == 26,
                   description=f"max - min accuracy over {len(counts)} prompt configs (not part of the v4 overall)"),
           Summary(name="format_sensitivity_std", value=stats["std"] / 100, categories=[CATEGORY], complete=len(counts) == 26,
                   description=f"standard deviation of the accuracy over {len(counts)} prompt configs")]
    return out


def config_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["## Format sensitivity per config", "", "| config | correct | total | accuracy (%) |", "|---|---:|---:|---:|"]
    lines += [f"| `{c}` | {k} | {n} | {100 * k / n:.2f} |" for c, (k, n) in per_config(rows).items()]
    return [*lines, ""]


def run_format_sensitivity_eval(
    config: EvalConfig, out_dir: str | Path, *, generator: Generator | None = None, resume: bool = False,
    keep_other_results: bool = False, chunk_size: int = 64,
) -> EvalResult:
    """Generate and score every format-sensitivity item (``config.limit`` base entries x 26 configs)."""
    from xlam.evaluation.generation import make_generator
    from xlam.evaluation.multi_turn import _merge_results

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = {r["id"] for r in load_items(out) if r.get("category") == CATEGORY} if resume else set()
    if not resume:  # drop earlier format-sensitivity rows (and, unless kept, every other row)
        _merge_results(out, [CATEGORY], [], resume=False, keep_other=keep_other_results)
    todo = [i for i in items(config.data_dir, config.limit) if i["id"] not in done]
    own = generator is None
    gen = generator or make_generator(config.model_copy(update={"prompt_mode": "prompt"}))
    start = time.perf_counter()
    new: list[ItemResult] = []
    try:
        for b in range(0, len(todo), chunk_size):
            chunk = todo[b : b + chunk_size]
            requests = [ChatRequest(messages=prompt_messages(i), max_tokens=config.max_tokens, temperature=0.0) for i in chunk]
            for item, response in zip(chunk, gen.generate(requests), strict=True):
                new.append(score_item(item, response.text))
            # persist as we go (an interrupted run resumes from results.jsonl)
            _merge_results(out, [CATEGORY], new, resume=True, keep_other=True)
    finally:
        if own:
            gen.close()
    all_items = _merge_results(out, [CATEGORY], new, resume=True, keep_other=True)
    return _write(config.display_name(), all_items, out, seconds=time.perf_counter() - start, config=config.model_dump(mode="json"),
                  generator=gen.describe())


def _write(name: str, all_items: list[ItemResult], out: Path, **fields: Any) -> EvalResult:
    from xlam.evaluation.multi_turn import build_v4_result, write_v4_result_files

    result = build_v4_result(name, all_items, out_dir=str(out), created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **fields)
    rows = [i.model_dump(mode="json") for i in all_items]
    result.summaries = [*result.summaries, *summaries(rows)]
    write_v4_result_files(result, out)
    if any(r["category"] == CATEGORY for r in rows):
        report = (out / REPORT_FILE).read_text()
        (out / REPORT_FILE).write_text(report.rstrip() + "\n\n" + "\n".join(config_table(rows)))
    return result


def is_format_sensitivity_file(path: str | Path) -> bool:
    for _, row in iter_jsonl(path):
        return isinstance(row, dict) and str(row.get("id", "")).startswith(CATEGORY + "_")
    return False


def score_format_sensitivity_file(path: str | Path, out_dir: str | Path, *, name: str | None = None, data_dir: str | None = None) -> EvalResult:
    """Re-score ``{"id": "format_sensitivity_<n>:<config>:<id>", "output"}`` lines (or results.jsonl rows with ``raw_output``)."""
    by_id = {i["id"]: i for i in items(data_dir)}
    scored: list[ItemResult] = []
    for lineno, row in iter_jsonl(path):
        if not isinstance(row, dict) or row.get("id") not in by_id:
            raise RecordError(str(path), lineno, "id", f"not a format-sensitivity id: {row.get('id') if isinstance(row, dict) else row!r}")
        text = row.get("output", row.get("raw_output"))
        if not isinstance(text, str):
            raise RecordError(str(path), lineno, "output", "'output' must be the raw model text (a string)")
        scored.append(score_item(by_id[row["id"]], text))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w") as fh:
        for item in scored:
            fh.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False, default=str) + "\n")
    return _write(name or Path(path).stem, scored, out, config={"outputs": str(path)})
