"""The stage runner's run outputs: stage summaries from the reports the stages wrote (direct engine)
or from kfp's component outputs (kfp engine), and the training metrics streamed while a run trains."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from platform_contracts.outputs import RegisteredOutputs, RunOutputs, StageSummary
from services.backends.stage_runner import MetricSink, _MetricsTail, kfp_stage_reports, stage_summaries
from xlam.reports import StageReport


def _executor_output(path: Path, report: StageReport, *, b64: bool) -> None:
    text = report.model_dump_json()
    value = base64.urlsafe_b64encode(text.encode()).decode() if b64 else text
    path.mkdir(parents=True)
    (path / "executor_output.json").write_text(json.dumps({"parameterValues": {"Output": value}}))


def test_kfp_component_reports_are_decoded_and_summed_over_shards(tmp_path: Path) -> None:
    root = tmp_path / "kfp"
    _executor_output(root / "unify-op", StageReport(stage="unify", input_records=10, output_records=9,
                                                     rejected_records=1, seconds=1.5, counts={"bad": 1}), b64=False)
    for i in (0, 1):
        _executor_output(root / f"verify-op-{i}", StageReport(stage="verify", input_records=5, output_records=4,
                                                               rejected_records=1, counts={"rule": 1}), b64=True)
    (root / "other").mkdir()
    (root / "other" / "executor_output.json").write_text(json.dumps({"parameterValues": {"Output": "[1, 2]"}}))
    got = {r.stage: r for r in kfp_stage_reports(root)}
    assert set(got) == {"unify", "verify"}
    assert got["verify"] == StageSummary(stage="verify", input_records=10, output_records=8, rejected_records=2,
                                         counts={"rule": 2})
    assert got["unify"].report().pass_rate == 0.9


def test_stage_summaries_of_the_written_reports_in_run_order(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    for i, stage in enumerate(("unify", "verify", "dedup")):
        report = StageReport(stage=stage, input_records=10 - i, output_records=9 - i, counts={"r": i},
                             notes=["not in the summary"], config={"x": 1})
        report.write(reports / stage, chart=False)
        os.utime(reports / stage / f"{stage}.report.json", (1000 + i, 1000 + i))
    summaries = stage_summaries(tmp_path)
    assert [s.stage for s in summaries] == ["unify", "verify", "dedup"]
    assert summaries[1] == StageSummary(stage="verify", input_records=9, output_records=8, counts={"r": 1})
    # what the worker stores and a client reads back
    again = RunOutputs.model_validate_json(RunOutputs(reports=summaries).model_dump_json())
    assert again.reports == summaries


def test_metrics_tail_streams_each_step_once(tmp_path: Path) -> None:
    log, sink_path = tmp_path / "metrics.jsonl", tmp_path / "sink.jsonl"
    tail = _MetricsTail(log, MetricSink(sink_path))
    tail.poll()  # no file yet
    log.write_text(json.dumps({"step": 1, "loss": 2.0, "lr": 0.1}) + "\n" + '{"step": 2, "lo')
    tail.poll()
    with log.open("a") as fh:
        fh.write('ss": 1.5, "lr": 0.1}\n' + json.dumps({"step": 1, "loss": 9.0}) + "\n")
    tail.poll()
    points = [json.loads(line) for line in sink_path.read_text().splitlines()]
    assert [(p["key"], p["step"], p["value"]) for p in points] == [
        ("train.loss", 1, 2.0), ("train.lr", 1, 0.1), ("train.loss", 2, 1.5), ("train.lr", 2, 0.1)]
    assert tail.steps == {1, 2}


def test_registered_outputs_read_runs_stored_before_reports_and_history() -> None:
    old = {"datasets": [{"id": "ds_1", "name": "d", "version": 1, "uri": "/x"}],
           "model_versions": [{"id": "mv_1", "model": "m", "version": 2}], "evaluation": None}
    typed = RegisteredOutputs.model_validate(old)
    assert typed.reports == [] and typed.model_versions[0].history == []
    assert RegisteredOutputs.model_validate({}).datasets == []  # a run that has not finished
