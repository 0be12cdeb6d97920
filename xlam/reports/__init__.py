"""Stage reports (JSON + Markdown) and charts (PNG)."""

from xlam.reports.charts import bar_chart, line_chart
from xlam.reports.stage_report import StageReport

__all__ = ["StageReport", "bar_chart", "line_chart"]
