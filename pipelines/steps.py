"""What each pipeline component does, as plain functions over paths (the components only call these).

Keeping the wiring here (and not inline in the kfp components) means it is tested directly and
the compiled components stay tiny. Every function returns a :class:`~xlam.reports.StageReport`;
:func:`emit` turns it into the component's ``Metrics`` and ``Markdown`` outputs. Errors are
re-raised as :class:`StepError` naming the stage and shard.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from xlam.reports import StageReport

T = TypeVar("T")
SHARD_DIR = "shard-{index:05d}"


class StepError(RuntimeError):
    """A pipeline step failed; the message names the stage and (when fanned out) the shard."""

    def __init__(self, stage: str, shard: int | None, cause: BaseException) -> None:
        where = f"stage={stage}" + (f" shard={shard}" if shard is not None else "")
        super().__init__(f"[{where}] {type(cause).__name__}: {cause}")
        self.stage, self.shard = stage, shard


def guarded(stage: str, fn: Callable[[], T], *, shard: int | None = None) -> T:
    try:
        return fn()
    except StepError:
        raise
    except Exception as exc:
        raise StepError(stage, shard, exc) from exc


def emit(report: StageReport, metrics: Any, markdown: Any, *, shard: int | None = None) -> None:
    """Log a report as kfp ``Metrics`` (scalars) and a ``Markdown`` artifact (the funnel table)."""
    metrics.log_metric("input_records", report.input_records)
    metrics.log_metric("output_records", report.output_records)
    metrics.log_metric("rejected_records", report.rejected_records)
    metrics.log_metric("pass_rate", round(report.pass_rate, 6))
    for key, value in sorted(report.counts.items()):
        metrics.log_metric(f"count.{key}", value)
    header = f"# {report.stage}" + (f" (shard {shard})" if shard is not None else "") + "\n\n"
    Path(markdown.path).parent.mkdir(parents=True, exist_ok=True)
    Path(markdown.path).write_text(header + report.to_markdown())


# --- data pipeline ---------------------------------------------------------------------------
def resolve_input(uri: str) -> str:
    """``bfcl://CATEGORY`` names a question file of the installed bfcl-eval package."""
    from xlam.bfcl.data import resolve_bfcl_uri

    return resolve_bfcl_uri(uri)


def unify(source: str, inputs: list[str], config: dict[str, Any], out_path: str) -> StageReport:
    from xlam.converters import UnifyConfig, run_unify

    def run() -> StageReport:
        cfg = UnifyConfig.model_validate(config)
        return run_unify(source, [resolve_input(u) for u in inputs], out_path, cfg)

    return guarded("unify", run)


def shard(in_paths: list[str], num_shards: int, out_path: str) -> tuple[StageReport, list[int]]:
    """Concatenate the unified sources and split them into ``num_shards`` sub-datasets of ``out_path``."""
    from xlam.datasets import read_manifest
    from xlam.datasets.sharding import concat_datasets, split_dataset

    def run() -> tuple[StageReport, list[int]]:
        if num_shards < 1:
            raise ValueError("num_shards must be >= 1")
        Path(out_path).mkdir(parents=True, exist_ok=True)
        merged = str(Path(out_path) / "all")
        concat_datasets(list(in_paths), merged, source="pipeline:unify")
        shards = [str(Path(out_path) / SHARD_DIR.format(index=i)) for i in range(num_shards)]
        manifests = split_dataset(merged, shards)
        total = read_manifest(merged).num_records
        report = StageReport(stage="shard", input_records=total, output_records=total)
        report.groups["records_per_shard"] = {f"shard {i}": m.num_records for i, m in enumerate(manifests)}
        return report, list(range(num_shards))

    return guarded("shard", run)


def shard_path(shards_path: str, index: int) -> str:
    return str(Path(shards_path) / SHARD_DIR.format(index=index))


def augment(shards_path: str, index: int, config: dict[str, Any], out_path: str) -> StageReport:
    from xlam.augment import AugmentConfig, run_augment

    return guarded(
        "augment",
        lambda: run_augment(shard_path(shards_path, index), out_path,
                            AugmentConfig.model_validate(config)),
        shard=index,
    )


def verify(in_path: str, index: int | None, config: dict[str, Any], out_path: str, rejects_path: str) -> StageReport:
    from xlam.verify import VerifyConfig, run_verify

    return guarded(
        "verify",
        lambda: run_verify(in_path, out_path, VerifyConfig.model_validate(config), rejects_uri=rejects_path),
        shard=index,
    )


def dedup(in_paths: list[str], config: dict[str, Any], out_path: str) -> StageReport:
    from xlam.dedup import DedupConfig, run_dedup

    return guarded("dedup", lambda: run_dedup(list(in_paths), out_path, DedupConfig.model_validate(config)))


def mix(sources: dict[str, str], config: dict[str, Any], out_path: str) -> StageReport:
    """Mix named datasets; ``config`` is a MixConfig whose source URIs are filled from ``sources``."""
    from xlam.mixture import MixConfig, run_mix

    def run() -> StageReport:
        cfg_data = dict(config)
        listed = {s["name"]: dict(s) for s in cfg_data.get("sources", [])}
        for name, uri in sources.items():
            listed.setdefault(name, {"name": name, "weight": 1.0})["uri"] = uri
        cfg_data["sources"] = [s for s in listed.values() if s.get("uri")]
        num = cfg_data.pop("num_records", None)
        return run_mix(MixConfig.model_validate(cfg_data), out_path, num_records=num)

    return guarded("mix", run)


def write_funnel(title: str, reports: list[str], markdown: Any, metrics: Any) -> str:
    """Write the funnel Markdown artifact and per-stage totals as metrics; returns the Markdown."""
    text = funnel(reports, title=title)
    Path(markdown.path).parent.mkdir(parents=True, exist_ok=True)
    Path(markdown.path).write_text(text)
    for rep in (decode_report(r) for r in reports):
        metrics.log_metric(f"{rep.stage}.out", metrics.metadata.get(f"{rep.stage}.out", 0) + rep.output_records)
    return text


def funnel(reports_json: list[str], *, title: str = "xLAM data funnel") -> str:
    """A Markdown funnel (records in/out per stage, summed over shards) from encoded reports."""
    totals: dict[str, list[int]] = {}
    counts: dict[str, dict[str, int]] = {}
    for raw in reports_json:
        rep = decode_report(raw)
        row = totals.setdefault(rep.stage, [0, 0, 0])
        row[0] += rep.input_records
        row[1] += rep.output_records
        row[2] += rep.rejected_records
        table = counts.setdefault(rep.stage, {})
        for key, value in rep.counts.items():
            table[key] = table.get(key, 0) + value
    lines = [f"# {title}", "", "| stage | in | out | rejected | pass rate |", "|---|---:|---:|---:|---:|"]
    for stage, (inp, out, rej) in totals.items():
        rate = f"{out / inp:.1%}" if inp else "-"
        lines.append(f"| {stage} | {inp} | {out} | {rej} | {rate} |")
    for stage, table in counts.items():
        lines += ["", f"## {stage}: reasons", "", "| reason | count |", "|---|---:|"]
        lines += [f"| `{k}` | {v} |" for k, v in sorted(table.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines) + "\n"


def report_json(report: StageReport) -> str:
    """A stage's summary as the component's string output: URL-safe base64 of compact JSON.

    (kfp's local runner does not escape quotes in strings nested in list parameters, so the funnel's
    collected reports travel base64-encoded.)
    """
    summary = report.model_dump(mode="json", include={"stage", "input_records", "output_records",
                                                      "rejected_records", "counts", "seconds"})
    return base64.urlsafe_b64encode(json.dumps(summary, separators=(",", ":")).encode()).decode()


def decode_report(value: str) -> StageReport:
    """Inverse of :func:`report_json` (plain JSON accepted too)."""
    text = value if value.lstrip().startswith("{") else base64.urlsafe_b64decode(value.encode()).decode()
    return StageReport.model_validate_json(text)
