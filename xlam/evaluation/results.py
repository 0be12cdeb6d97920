"""Evaluation results: the summary model, its files (summary.json, report.md, accuracy.png) and loading."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from xlam.bfcl.scoring import CategoryScore, ItemResult, Summary, category_scores, summarize

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.md"
CHART_FILE = "accuracy.png"


class CategoryResult(BaseModel):
    correct: int
    total: int
    accuracy: float
    error_types: dict[str, int] = Field(default_factory=dict)


class EvalResult(BaseModel):
    """Per-category accuracy, BFCL summaries and where the files are."""

    name: str
    categories: dict[str, CategoryResult]
    summaries: list[Summary]
    items: int
    seconds: float = 0.0
    out_dir: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    generator: str = ""
    created_at: str = ""
    machine: str = ""

    def accuracy(self, category: str) -> float:
        return self.categories[category].accuracy

    def summary(self, name: str) -> float | None:
        return next((s.value for s in self.summaries if s.name == name), None)


def build_result(name: str, items: list[ItemResult], **fields: Any) -> EvalResult:
    scores: dict[str, CategoryScore] = category_scores(items)
    errors: dict[str, Counter[str]] = {}
    for item in items:
        if not item.valid:
            errors.setdefault(item.category, Counter())[item.error_type or "unknown"] += 1
    categories = {
        cat: CategoryResult(
            correct=s.correct, total=s.total, accuracy=s.accuracy, error_types=dict(errors.get(cat, Counter()).most_common())
        )
        for cat, s in scores.items()
    }
    return EvalResult(name=name, categories=categories, summaries=summarize(scores), items=len(items), **fields)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}"


def report_markdown(result: EvalResult) -> str:
    lines = [f"# BFCL evaluation: {result.name}", ""]
    meta = [("generator", result.generator), ("items", str(result.items)), ("seconds", f"{result.seconds:.1f}"),
            ("date", result.created_at), ("machine", result.machine)]
    lines += [f"- {k}: {v}" for k, v in meta if v]
    mode = result.config.get("prompt_mode")
    if mode:
        lines.append(f"- prompt mode: {mode}; limit per category: {result.config.get('limit')}")
    lines += ["", "## Accuracy per category", "", "| category | correct | total | accuracy (%) | top errors |", "|---|---:|---:|---:|---|"]
    for cat, c in result.categories.items():
        top = ", ".join(f"{k} ({v})" for k, v in list(c.error_types.items())[:3])
        lines.append(f"| {cat} | {c.correct} | {c.total} | {_pct(c.accuracy)} | {top} |")
    lines += ["", "## Summaries", "", "| summary | value (%) | complete | categories | definition |", "|---|---:|---|---|---|"]
    for s in result.summaries:
        lines.append(f"| {s.name} | {_pct(s.value)} | {'yes' if s.complete else 'partial'} | {', '.join(s.categories)} | {s.description} |")
    lines += ["", f"![accuracy per category]({CHART_FILE})", ""]
    return "\n".join(lines)


def write_result_files(result: EvalResult, out_dir: Path) -> None:
    """summary.json, report.md and (when matplotlib is installed) accuracy.png."""
    (out_dir / SUMMARY_FILE).write_text(result.model_dump_json(indent=2))
    (out_dir / REPORT_FILE).write_text(report_markdown(result))
    from xlam.reports.charts import bar_chart

    values = {cat: round(100 * c.accuracy, 2) for cat, c in result.categories.items()}
    values.update({f"[{s.name}]": round(100 * s.value, 2) for s in result.summaries if s.value is not None})
    # Minimal inference images may lack matplotlib; every number is in the files above.
    with contextlib.suppress(ImportError):
        bar_chart(values, out_dir / CHART_FILE, title=f"BFCL accuracy: {result.name}", ylabel="accuracy (%)")


def load_result(out_dir: str | Path) -> EvalResult:
    return EvalResult.model_validate_json((Path(out_dir) / SUMMARY_FILE).read_text())


def load_items(out_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(out_dir) / RESULTS_FILE
    if not path.is_file():
        return []
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def single_turn_call_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of single-turn categories that expect calls (no irrelevance, multi-turn, memory or format rows)."""
    return [r for r in rows if "irrelevance" not in r["category"]
            and not r["category"].startswith(("multi_turn", "memory", "format"))]


def item_results(rows: list[dict[str, Any]]) -> list[ItemResult]:
    """``results.jsonl`` rows as scored items (the extra fields of a row, prompt and timings, dropped)."""
    return [ItemResult.model_validate({k: d[k] for k in ItemResult.model_fields if k in d}) for d in rows]


def load_item_results(out_dir: str | Path) -> list[ItemResult]:
    """The scored items of ``results.jsonl`` (the durable record: one line per item as it is scored)."""
    return item_results(load_items(out_dir))


def load_current_result(out_dir: str | Path, rows: list[dict[str, Any]] | None = None) -> EvalResult:
    """``summary.json``, rebuilt from ``results.jsonl`` (``rows``, when the caller has read them) when the
    items there differ from what it counts: an evaluation that resumed and then stopped before writing its
    summary (killed at a call's limit, out of GPU memory) leaves a summary of fewer items than were scored."""
    result = load_result(out_dir)
    rows = load_items(out_dir) if rows is None else rows
    if len(rows) == result.items:
        return result
    return build_result(result.name, item_results(rows),
                        **result.model_dump(exclude={"name", "categories", "summaries", "items"}))
