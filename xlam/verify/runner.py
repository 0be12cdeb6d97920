"""Record-level :func:`verify_record` and the dataset-level :func:`run_verify` stage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import orjson
from pydantic import ValidationError

from xlam.datasets import DatasetReader, DatasetWriter
from xlam.datasets.storage import join
from xlam.errors import RecordError, pydantic_field_path
from xlam.generators import Generator, create_generator
from xlam.records import Record
from xlam.reports import StageReport
from xlam.tools import ToolRegistry
from xlam.verify.config import VerifyConfig
from xlam.verify.execution import check_execution
from xlam.verify.issues import Issue, Verdict
from xlam.verify.rules import Rule, prepare_rules, run_rules
from xlam.verify.semantic import judge_records, judgement_issue


class Verifier:
    """Holds what is expensive to set up (prepared rules, tool registry, judge) for many records."""

    def __init__(
        self,
        config: VerifyConfig | None = None,
        *,
        registry: ToolRegistry | None = None,
        judge: Generator | None = None,
    ) -> None:
        self.config = config or VerifyConfig()
        self.rules: list[tuple[Rule, str]] = prepare_rules(self.config)
        self.notes: list[str] = []
        stages = set(self.config.stages)
        self.registry = registry
        if self.registry is None and "execution" in stages and self.config.tools:
            self.registry = ToolRegistry.load(self.config.tools)
        self.judge = judge
        if self.judge is None and "semantic" in stages and self.config.judge is not None:
            if self.config.judge.backend == "template":
                self.notes.append("semantic stage skipped: the template backend has no judgement")
            else:
                self.judge = create_generator(self.config.judge)
        self.run_execution = "execution" in stages and self.registry is not None
        self.run_semantic = "semantic" in stages and self.judge is not None

    def verify_batch(self, records: list[Record]) -> list[Verdict]:
        """Rules for each record, then execution and the judge for the survivors (batched)."""
        verdicts: list[Verdict] = []
        for record in records:
            fixed, issues = (
                run_rules(record, self.config, self.rules) if "rules" in self.config.stages else (record, [])
            )
            ok = not any(i.rejects for i in issues)
            verdicts.append(
                Verdict(
                    ok=ok,
                    issues=issues,
                    record=fixed,
                    failed_stage=None if ok else "rules",
                    stages_run=["rules"] if "rules" in self.config.stages else [],
                )
            )
        self._stage_execution(verdicts)
        self._stage_semantic(verdicts)
        return verdicts

    def _stage_execution(self, verdicts: list[Verdict]) -> None:
        live = [v for v in verdicts if v.ok]
        if not self.run_execution:
            for v in live:
                v.stages_skipped.append("execution")
            return
        assert self.registry is not None
        for start in range(0, len(live), self.config.execution_batch):
            chunk = live[start : start + self.config.execution_batch]
            for verdict, outcome in zip(
                chunk, check_execution([v.record for v in chunk], self.registry, self.config), strict=True
            ):
                verdict.issues.extend(outcome.issues)
                verdict.record = outcome.record
                if outcome.skipped:
                    verdict.stages_skipped.append("execution")
                    continue
                verdict.stages_run.append("execution")
                if not outcome.ok:
                    verdict.ok, verdict.failed_stage = False, "execution"

    def _stage_semantic(self, verdicts: list[Verdict]) -> None:
        live = [v for v in verdicts if v.ok]
        if not self.run_semantic:
            for v in live:
                v.stages_skipped.append("semantic")
            return
        assert self.judge is not None
        results = judge_records(
            [v.record for v in live],
            self.judge,
            batch_size=self.config.judge_batch,
            max_tokens=self.config.judge_max_tokens,
        )
        for verdict, result in zip(live, results, strict=True):
            verdict.stages_run.append("semantic")
            issue = judgement_issue(result)
            if issue is not None:
                verdict.issues.append(issue)
                verdict.ok, verdict.failed_stage = False, "semantic"

    def close(self) -> None:
        if self.judge is not None and self.config.judge is not None:
            self.judge.close()


def verify_record(
    record: Record,
    config: VerifyConfig | None = None,
    *,
    registry: ToolRegistry | None = None,
    judge: Generator | None = None,
) -> Verdict:
    """Verify one record through the configured stages. For many records use :class:`Verifier`
    or :func:`run_verify` (they prepare rules, registry and judge once and batch the sandbox)."""
    return Verifier(config, registry=registry, judge=judge).verify_batch([record])[0]


def annotate(verdict: Verdict) -> Record:
    """The record to write: provenance gets the checks passed, fixes applied and findings."""
    record = verdict.record
    prov = record.provenance.model_copy(deep=True)
    summary: dict[str, Any] = {}
    if verdict.ok:
        prov.checks.extend(f"verify:{s}" for s in verdict.stages_run)
        prov.transformations.extend(f"verify.autofix:{i.code}@{i.field}: {i.fix}" for i in verdict.fixes)
        if verdict.warnings:
            summary["warnings"] = [i.model_dump(exclude_defaults=True) for i in verdict.warnings]
    else:
        summary["failed_stage"] = verdict.failed_stage
        summary["issues"] = [i.model_dump(exclude_defaults=True) for i in verdict.issues]
    if summary:
        prov.extra["verify"] = summary
    meta = record.meta
    if not verdict.ok:
        meta = {
            **meta,
            "verify_rejected": {
                "stage": verdict.failed_stage,
                "codes": sorted({i.code for i in verdict.errors}),
            },
        }
    return record.model_copy(update={"provenance": prov, "meta": meta})


def _read(
    uri: str, config: VerifyConfig, report: StageReport
) -> Iterator[Record | tuple[str, int, str, str]]:
    """Records of ``uri``; invalid lines raise (on_error=fail) or come back as (shard, line, field, reason)."""
    for shard, lineno, line in DatasetReader(uri).iter_raw():
        try:
            yield Record.model_validate_json(line)
        except ValidationError as exc:
            err = exc.errors()[0]
            field, reason = pydantic_field_path(tuple(err["loc"])), err["msg"]
            if config.on_error == "fail":
                raise RecordError(join(uri, shard), lineno, field, reason) from exc
            report.bump("invalid_record")
            yield shard, lineno, field, reason


def run_verify(
    in_uri: str,
    out_uri: str,
    config: VerifyConfig | None = None,
    *,
    rejects_uri: str | None = None,
    report_dir: str | None = None,
    registry: ToolRegistry | None = None,
    judge: Generator | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> StageReport:
    """Verify the dataset at ``in_uri``: accepted records to ``out_uri``, rejected ones (with codes
    and reasons in ``provenance.extra.verify`` and ``meta.verify_rejected``) to ``rejects_uri``."""
    config = config or VerifyConfig()
    start = time.perf_counter()
    report = StageReport(
        stage="verify", output_uri=out_uri, rejects_uri=rejects_uri, config=config.model_dump(mode="json")
    )
    verifier = Verifier(config, registry=registry, judge=judge)
    report.notes.extend(verifier.notes)
    tallies: dict[str, dict[str, int]] = {
        "funnel": {},
        "warnings": {},
        "fixes": {},
        "rejected_by_stage": {},
        "skipped_stages": {},
    }
    batch_size = max(config.execution_batch, config.judge_batch, 256)
    total = len(DatasetReader(in_uri))
    with ExitStack() as stack:
        out = stack.enter_context(
            DatasetWriter(
                out_uri, source="verify", command="xlam data verify", parents=[in_uri], overwrite=overwrite
            )
        )
        rejects = (
            stack.enter_context(
                DatasetWriter(
                    rejects_uri,
                    source="verify-rejects",
                    command="xlam data verify",
                    parents=[in_uri],
                    overwrite=overwrite,
                )
            )
            if rejects_uri
            else None
        )
        bar = _progress(stack, total) if progress else None
        batch: list[Record] = []

        def flush() -> None:
            for verdict in verifier.verify_batch(batch):
                _tally(verdict, report, tallies)
                record = annotate(verdict)
                if verdict.ok:
                    out.write(record)
                    report.output_records += 1
                else:
                    report.rejected_records += 1
                    if rejects is not None:
                        rejects.write(record)
            if bar is not None:
                bar[0].advance(bar[1], len(batch))
            batch.clear()

        for item in _read(in_uri, config, report):
            report.input_records += 1
            if isinstance(item, Record):
                batch.append(item)
                if len(batch) >= batch_size:
                    flush()
                continue
            shard, lineno, field, reason = item
            report.rejected_records += 1
            if rejects is not None:
                rejects.write(_invalid_record(in_uri, shard, lineno, field, reason))
        if batch:
            flush()
    verifier.close()
    _finish(report, tallies, start)
    if report_dir:
        report.write(report_dir)
    return report


def _progress(stack: ExitStack, total: int) -> tuple[Any, Any]:
    from rich.progress import Progress

    progress = stack.enter_context(Progress(transient=True))
    return progress, progress.add_task("verify", total=total)


def _invalid_record(uri: str, shard: str, lineno: int, field: str, reason: str) -> Record:
    issue = Issue(code="invalid_record", message=reason, field=field)
    return Record(
        id=f"invalid-{shard}-{lineno}",
        source="invalid",
        meta={
            "verify_rejected": {"stage": "input", "codes": ["invalid_record"]},
            "location": f"{join(uri, shard)}:{lineno}",
        },
        provenance={"extra": {"verify": {"failed_stage": "input", "issues": [issue.model_dump()]}}},
    )


def _tally(verdict: Verdict, report: StageReport, tallies: dict[str, dict[str, int]]) -> None:
    funnel = tallies["funnel"]
    for stage in ("rules", "execution", "semantic"):
        if stage in verdict.stages_run:
            key = f"{stage}_checked"
            funnel[key] = funnel.get(key, 0) + 1
            if verdict.failed_stage != stage:
                key = f"{stage}_passed"
                funnel[key] = funnel.get(key, 0) + 1
    for stage in verdict.stages_skipped:
        tallies["skipped_stages"][stage] = tallies["skipped_stages"].get(stage, 0) + 1
    for issue in verdict.issues:
        if issue.fixed:
            tallies["fixes"][issue.code] = tallies["fixes"].get(issue.code, 0) + 1
        elif issue.severity == "warning":
            tallies["warnings"][issue.code] = tallies["warnings"].get(issue.code, 0) + 1
    if not verdict.ok:
        failed = str(verdict.failed_stage)
        tallies["rejected_by_stage"][failed] = tallies["rejected_by_stage"].get(failed, 0) + 1
        for code in {i.code for i in verdict.errors}:
            report.bump(code if ":" in code else f"rules:{code}")


def _finish(report: StageReport, tallies: dict[str, dict[str, int]], start: float) -> None:
    report.groups = {name: dict(sorted(table.items())) for name, table in tallies.items() if table}
    funnel = tallies["funnel"]
    for stage in ("rules", "execution", "semantic"):
        checked = funnel.get(f"{stage}_checked", 0)
        if checked:
            passed = funnel.get(f"{stage}_passed", 0)
            report.notes.append(f"{stage} pass rate: {passed / checked:.1%} ({passed}/{checked})")
        else:
            report.notes.append(f"{stage}: not run")
    report.notes.append(
        f"overall pass rate: {report.pass_rate:.1%} ({report.output_records}/{report.input_records})"
    )
    report.seconds = time.perf_counter() - start


def issues_json(issues: list[Issue]) -> bytes:
    return orjson.dumps([i.model_dump(exclude_defaults=True) for i in issues])
