"""PNG charts with matplotlib's non-interactive backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast


def pyplot() -> Any:
    """matplotlib.pyplot on the non-interactive Agg backend (imported on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_chart(
    values: Mapping[str, float] | Mapping[str, Mapping[str, float]],
    path: str | Path,
    *,
    title: str,
    ylabel: str = "",
    horizontal: bool = True,
) -> Path:
    """One bar per key; with nested mappings, grouped bars (one colour per series)."""
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    first = next(iter(values.values()), None)
    series: dict[str, Mapping[str, float]] = (
        {str(k): cast(Mapping[str, float], v) for k, v in values.items()}
        if isinstance(first, Mapping)
        else {"": cast(Mapping[str, float], values)}
    )
    labels = sorted({label for s in series.values() for label in s})
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(labels) * max(1, len(series)) + 1.2)))
    width = 0.8 / max(1, len(series))
    for i, (name, data) in enumerate(series.items()):
        pos = [j + i * width for j in range(len(labels))]
        vals = [float(data.get(label, 0.0)) for label in labels]
        bars = ax.barh(pos, vals, height=width, label=name or None) if horizontal else ax.bar(
            pos, vals, width=width, label=name or None
        )
        ax.bar_label(bars, fmt="%g", fontsize=7, padding=2)
    ticks = [j + width * (len(series) - 1) / 2 for j in range(len(labels))]
    if horizontal:
        ax.set_yticks(ticks, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
    else:
        ax.set_xticks(ticks, labels, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]], path: str | Path, *, title: str, xlabel: str, ylabel: str
) -> Path:
    """Lines of (x, y) points, one per series (e.g. loss curves)."""
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, points in series.items():
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, label=name, marker="." if len(points) < 50 else None)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
