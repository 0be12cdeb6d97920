"""The report every data stage returns and writes: counts, per-rule tallies, pass rates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field


class StageReport(BaseModel):
    """Outcome of one stage run. ``counts`` tallies reasons (rule codes, error classes, categories)."""

    stage: str
    input_records: int = 0
    output_records: int = 0
    rejected_records: int = 0
    counts: dict[str, int] = Field(default_factory=dict, description="Per rule / reason / category counts.")
    groups: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Named tables, e.g. {'by_generator': {...}} or funnels."
    )
    seconds: float = 0.0
    output_uri: str | None = None
    rejects_uri: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.output_records / self.input_records if self.input_records else 0.0

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def to_markdown(self) -> str:
        lines = [
            f"## Stage `{self.stage}`",
            "",
            "| input | output | rejected | pass rate | seconds |",
            "|---:|---:|---:|---:|---:|",
            f"| {self.input_records} | {self.output_records} | {self.rejected_records} | "
            f"{self.pass_rate:.1%} | {self.seconds:.2f} |",
        ]
        if self.counts:
            lines += ["", "| reason | count |", "|---|---:|"]
            lines += [f"| `{k}` | {v} |" for k, v in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        for name, table in self.groups.items():
            lines += ["", f"**{name}**", "", "| key | count |", "|---|---:|"]
            lines += [f"| {k} | {v} |" for k, v in table.items()]
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        return "\n".join(lines) + "\n"

    def write(self, directory: str | Path, *, chart: bool = True) -> Path:
        """Write ``<stage>.report.json``, ``<stage>.report.md`` and (with counts) a PNG bar chart."""
        from xlam.reports.charts import bar_chart

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{self.stage}.report.json").write_bytes(
            orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_INDENT_2)
        )
        (out / f"{self.stage}.report.md").write_text(self.to_markdown())
        if chart and self.counts:
            bar_chart(self.counts, out / f"{self.stage}.counts.png", title=f"{self.stage}: counts by reason")
        return out
