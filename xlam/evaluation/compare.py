"""Comparing two evaluation runs (e.g. before and after training): per-category deltas, summary
deltas, per-item flips, a Markdown report and a grouped bar chart."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from xlam.evaluation.results import load_items, load_result


class CategoryDelta(BaseModel):
    category: str
    a: float | None
    b: float | None
    delta: float | None
    fixed: int = 0
    broken: int = 0
    common_items: int = 0


class Comparison(BaseModel):
    a_name: str
    b_name: str
    categories: list[CategoryDelta]
    summaries: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    out_dir: str = ""


def _sub(b: float | None, a: float | None) -> float | None:
    return None if a is None or b is None else b - a


def _fmt(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "n/a"
    return f"{100 * v:+.2f}" if signed else f"{100 * v:.2f}"


def compare_results(a_dir: str | Path, b_dir: str | Path, out_dir: str | Path) -> Comparison:
    """Compare run ``a`` (baseline) with run ``b``; writes compare.json, compare.md and compare.png."""
    from xlam.reports.charts import bar_chart

    a, b = load_result(a_dir), load_result(b_dir)
    a_items = {(d["category"], d["id"]): d["valid"] for d in load_items(a_dir)}
    b_items = {(d["category"], d["id"]): d["valid"] for d in load_items(b_dir)}
    deltas = []
    for cat in list(a.categories) + [c for c in b.categories if c not in a.categories]:
        acc_a = a.categories[cat].accuracy if cat in a.categories else None
        acc_b = b.categories[cat].accuracy if cat in b.categories else None
        common = [k for k in a_items if k[0] == cat and k in b_items]
        deltas.append(CategoryDelta(
            category=cat, a=acc_a, b=acc_b, delta=_sub(acc_b, acc_a), common_items=len(common),
            fixed=sum(1 for k in common if not a_items[k] and b_items[k]),
            broken=sum(1 for k in common if a_items[k] and not b_items[k]),
        ))
    names = [s.name for s in a.summaries]
    summaries = {n: {"a": a.summary(n), "b": b.summary(n), "delta": _sub(b.summary(n), a.summary(n))} for n in names}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    a_name, b_name = a.name, b.name if b.name != a.name else f"{b.name} (b)"
    comparison = Comparison(a_name=a_name, b_name=b_name, categories=deltas, summaries=summaries, out_dir=str(out))
    (out / "compare.json").write_text(comparison.model_dump_json(indent=2))
    lines = [f"# BFCL comparison: {a_name} -> {b_name}", "", f"- a: `{a_dir}`", f"- b: `{b_dir}`", "",
             "| category | a (%) | b (%) | delta (pp) | fixed | broken | common items |", "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {d.category} | {_fmt(d.a)} | {_fmt(d.b)} | {_fmt(d.delta, True)} | {d.fixed} | {d.broken} | {d.common_items} |" for d in deltas]
    lines += ["", "| summary | a (%) | b (%) | delta (pp) |", "|---|---:|---:|---:|"]
    lines += [f"| {n} | {_fmt(v['a'])} | {_fmt(v['b'])} | {_fmt(v['delta'], True)} |" for n, v in summaries.items()]
    lines += ["", "![comparison](compare.png)", ""]
    (out / "compare.md").write_text("\n".join(lines))
    series = {
        a_name: {d.category: round(100 * (d.a or 0.0), 2) for d in deltas},
        b_name: {d.category: round(100 * (d.b or 0.0), 2) for d in deltas},
    }
    bar_chart(series, out / "compare.png", title="BFCL accuracy per category", ylabel="accuracy (%)")
    return comparison
