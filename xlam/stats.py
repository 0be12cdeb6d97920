"""Dataset statistics: counts by category and source, histograms of tools, calls and steps per
record, and query lengths; rendered as Markdown and (optionally) a PNG panel of charts.

Records are streamed, so memory stays bounded by the number of distinct histogram keys (plus one
integer per record for the query-length percentiles).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from xlam.records import Record


class LengthSummary(BaseModel):
    count: int = 0
    min: int = 0
    mean: float = 0.0
    p50: int = 0
    p90: int = 0
    max: int = 0

    @classmethod
    def of(cls, values: list[int]) -> LengthSummary:
        if not values:
            return cls()
        ordered = sorted(values)

        def pct(q: float) -> int:
            return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]

        return cls(count=len(ordered), min=ordered[0], mean=round(sum(ordered) / len(ordered), 1),
                   p50=pct(0.5), p90=pct(0.9), max=ordered[-1])


class DatasetStats(BaseModel):
    """Summary of a set of records (``compute_stats``)."""

    records: int = 0
    by_category: dict[str, int] = Field(default_factory=dict)
    by_source: dict[str, int] = Field(default_factory=dict)
    by_subset: dict[str, int] = Field(
        default_factory=dict, description="By source subset, e.g. the BFCL category (meta.bfcl_category)."
    )
    tools_per_record: dict[int, int] = Field(default_factory=dict)
    calls_per_record: dict[int, int] = Field(default_factory=dict)
    steps_per_record: dict[int, int] = Field(default_factory=dict)
    parallel_steps: int = Field(default=0, description="Steps with more than one call.")
    with_ground_truth: int = 0
    with_rejected: int = 0
    with_answer: int = 0
    distinct_tools: int = 0
    query_chars: LengthSummary = Field(default_factory=LengthSummary)

    def to_markdown(self, title: str = "Dataset statistics") -> str:
        lines = [f"## {title}", "", f"**{self.records}** records, **{self.distinct_tools}** distinct tool names; "
                 f"{self.with_ground_truth} with ground truth, {self.with_answer} with a final answer, "
                 f"{self.with_rejected} with a rejected response, {self.parallel_steps} parallel-call steps.", ""]
        lines += _table("category", self.by_category, self.records, by_count=True)
        lines += _table("source", self.by_source, self.records, by_count=True)
        lines += _table("subset", self.by_subset, self.records, by_count=True)
        for name, hist in (("tools per record", self.tools_per_record), ("calls per record", self.calls_per_record),
                           ("steps per record", self.steps_per_record)):
            lines += _table(name, bucketed(hist), self.records)
        q = self.query_chars
        lines += ["| query chars | min | mean | p50 | p90 | max |", "|---|---:|---:|---:|---:|---:|",
                  f"| | {q.min} | {q.mean} | {q.p50} | {q.p90} | {q.max} |", ""]
        return "\n".join(lines)

    def plot(self, path: str | Path, title: str = "") -> Path:
        """A 2x2 PNG panel: categories, tools/calls/steps per record histograms."""
        from xlam.reports.charts import pyplot

        plt = pyplot()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig, axes = plt.subplots(2, 2, figsize=(11, 8))
        cats = sorted(self.by_category.items(), key=lambda kv: -kv[1])
        ax = axes[0][0]
        bars = ax.barh([k for k, _ in cats], [v for _, v in cats], color="#4c72b0")
        ax.bar_label(bars, fontsize=7, padding=2)
        ax.invert_yaxis()
        ax.set_title("records by category")
        for ax, (name, hist) in zip(
            (axes[0][1], axes[1][0], axes[1][1]),
            (("tools per record", self.tools_per_record), ("calls per record", self.calls_per_record),
             ("steps per record", self.steps_per_record)),
            strict=True,
        ):
            buckets = bucketed(hist)
            bars = ax.bar(list(buckets), list(buckets.values()), color="#55a868")
            ax.tick_params(axis="x", labelrotation=45 if len(buckets) > 8 else 0, labelsize=8)
            ax.bar_label(bars, fontsize=7, padding=2)
            ax.set_title(name)
            ax.set_ylabel("records")
        fig.suptitle(title or f"{self.records} records")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path


_BUCKETS = ((11, 20), (21, 50), (51, 100), (101, 10**9))


def bucketed(hist: dict[int, int]) -> dict[str, int]:
    """Exact counts for 0..10, then ranges (11-20, 21-50, 51-100, >100), in order."""
    out: dict[str, int] = {}
    for key in sorted(hist):
        if key <= 10:
            label = str(key)
        else:
            lo, hi = next(b for b in _BUCKETS if b[0] <= key <= b[1])
            label = f"{lo}-{hi}" if hi < 10**9 else f">{lo - 1}"
        out[label] = out.get(label, 0) + hist[key]
    return out


def _table(name: str, counts: dict[str, int], total: int, *, by_count: bool = False) -> list[str]:
    if not counts:
        return []
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if by_count else list(counts.items())
    rows = [f"| {name} | records | share |", "|---|---:|---:|"]
    rows += [f"| {k} | {v} | {v / total:.1%} |" for k, v in items] if total else []
    return [*rows, ""]


def compute_stats(records: Iterable[Record]) -> DatasetStats:
    """Stream ``records`` once and summarise them."""
    by_category: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    by_subset: Counter[str] = Counter()
    tools_hist: Counter[int] = Counter()
    calls_hist: Counter[int] = Counter()
    steps_hist: Counter[int] = Counter()
    tool_names: set[str] = set()
    query_lengths: list[int] = []
    stats = DatasetStats()
    for record in records:
        stats.records += 1
        by_category[str(record.inferred_category())] += 1
        by_source[record.source or "(none)"] += 1
        subset = record.meta.get("bfcl_category") or record.meta.get("subset")
        if isinstance(subset, str):
            by_subset[subset] += 1
        tools_hist[len(record.tools)] += 1
        calls_hist[sum(len(s.tool_calls) for s in record.steps)] += 1
        steps_hist[len(record.steps)] += 1
        stats.parallel_steps += sum(1 for s in record.steps if len(s.tool_calls) > 1)
        stats.with_ground_truth += record.ground_truth is not None
        stats.with_rejected += record.rejected is not None
        stats.with_answer += record.answer is not None
        tool_names.update(t.name for t in record.tools)
        query_lengths.append(len(record.query))
    stats.by_category = dict(by_category.most_common())
    stats.by_source = dict(by_source.most_common())
    stats.by_subset = dict(by_subset.most_common())
    stats.tools_per_record = dict(sorted(tools_hist.items()))
    stats.calls_per_record = dict(sorted(calls_hist.items()))
    stats.steps_per_record = dict(sorted(steps_hist.items()))
    stats.distinct_tools = len(tool_names)
    stats.query_chars = LengthSummary.of(query_lengths)
    return stats


def dataset_stats(uri: str) -> DatasetStats:
    """:func:`compute_stats` over the dataset at ``uri``."""
    from xlam.datasets import read_records

    return compute_stats(read_records(uri))


def stats_as_json(stats: DatasetStats) -> dict[str, Any]:
    return stats.model_dump(mode="json")
