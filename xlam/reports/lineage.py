"""Lineage diagrams: datasets, runs and model versions as a left-to-right layered graph (PNG)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from xlam.reports.charts import pyplot

_COLOURS = {"dataset": "#dbeafe", "run": "#fde68a", "model": "#bbf7d0", "source": "#e5e7eb"}


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str  # source | dataset | run | model


def layers(nodes: Sequence[Node], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Column of each node: the longest path from any root (edges point parent -> child)."""
    edge_list = list(edges)
    depth = {n.id: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for parent, child in edge_list:
            if parent in depth and child in depth and depth[child] < depth[parent] + 1:
                depth[child] = depth[parent] + 1
                changed = True
        if not changed:
            break
    return depth


def lineage_chart(nodes: Sequence[Node], edges: Sequence[tuple[str, str]], path: str | Path, *, title: str) -> Path:
    """Draw boxes per node in columns by depth, arrows parent -> child."""
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    depth = layers(nodes, edges)
    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(depth[node.id], []).append(node)
    n_cols = max(columns) + 1 if columns else 1
    n_rows = max((len(v) for v in columns.values()), default=1)
    fig, ax = plt.subplots(figsize=(max(6.0, 2.6 * n_cols), max(2.5, 1.1 * n_rows + 1)))
    pos: dict[str, tuple[float, float]] = {}
    for col, col_nodes in columns.items():
        for row, node in enumerate(col_nodes):
            y = (n_rows - 1) / 2 - row + (len(col_nodes) - 1) / 2 - (n_rows - 1) / 2
            pos[node.id] = (col * 2.6, y)
    for parent, child in edges:
        if parent in pos and child in pos:
            (x0, y0), (x1, y1) = pos[parent], pos[child]
            ax.annotate("", xy=(x1 - 1.0, y1), xytext=(x0 + 1.0, y0),
                        arrowprops={"arrowstyle": "->", "color": "#6b7280", "lw": 1.2})
    for node in nodes:
        x, y = pos[node.id]
        ax.text(x, y, node.label, ha="center", va="center", fontsize=7.5, wrap=True,
                bbox={"boxstyle": "round,pad=0.4", "fc": _COLOURS.get(node.kind, "#f3f4f6"), "ec": "#374151"})
    ax.set_xlim(-1.4, (n_cols - 1) * 2.6 + 1.4)
    ax.set_ylim(-(n_rows / 2) - 0.6, n_rows / 2 + 0.6)
    ax.axis("off")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
