"""The data pipeline's composition, once: unify -> verify -> dedup over one work directory.

Used by the control plane's stage runner (``data-pipeline`` runs, direct engine) and by
``xlam data pipeline``. The kfp ``xlam-data`` pipeline runs the same steps as a sharded DAG of
components (each calling the same core stage function); its composition is that DAG.

Layout under ``work_dir``: ``data/unified``, ``data/verified`` (+ ``data/verify-rejects``),
``data/deduped``, and each step's report in ``reports/<stage>/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xlam.converters import UnifyConfig
    from xlam.dedup import DedupConfig
    from xlam.reports import StageReport
    from xlam.verify import VerifyConfig


@dataclass
class DataPipelineResult:
    output_uri: str  # the last step's dataset
    reports: list[StageReport] = field(default_factory=list)  # in step order


def run_data_pipeline(source: str, inputs: list[str], work_dir: str | Path, unify: UnifyConfig,
                      verify: VerifyConfig | None, dedup: DedupConfig | None, *,
                      on_report: Callable[[StageReport], None] | None = None,
                      overwrite: bool = False) -> DataPipelineResult:
    """Unify ``inputs`` (converter ``source``), then verify and deduplicate (``None`` skips a step).

    ``on_report`` is called with each step's report as soon as the step finished; ``overwrite``
    replaces the verify and dedup outputs (unify's is ``unify.overwrite``).
    """
    from xlam.converters import run_unify

    work = Path(work_dir)
    reports = work / "reports"
    result = DataPipelineResult(output_uri=str(work / "data" / "unified"))

    def done(report: StageReport, output_uri: str) -> None:
        result.reports.append(report)
        result.output_uri = output_uri
        if on_report is not None:
            on_report(report)

    done(run_unify(source, inputs, result.output_uri, unify, report_dir=reports / "unify"), result.output_uri)
    if verify is not None:
        from xlam.verify import run_verify

        out = str(work / "data" / "verified")
        done(run_verify(result.output_uri, out, verify, rejects_uri=str(work / "data" / "verify-rejects"),
                        report_dir=str(reports / "verify"), overwrite=overwrite), out)
    if dedup is not None:
        from xlam.dedup import run_dedup

        out = str(work / "data" / "deduped")
        done(run_dedup([result.output_uri], out, dedup, report_dir=reports / "dedup", overwrite=overwrite), out)
    return result
