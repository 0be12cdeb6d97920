"""Executes one run's core-library stages; the local backend starts it as a subprocess.

``python -m services.backends.stage_runner WORK_DIR`` reads ``WORK_DIR/spec.json`` (the run's typed
spec, :mod:`platform_contracts.runspecs`, parsed once here), runs the stages with its core config models, streams logs to stdout, metric points to ``metrics.jsonl`` and writes ``result.json``
(atomically) at the end: ``{"status": "succeeded", "outputs": {...}}`` or
``{"status": "failed", "error": "..."}``.

The outputs carry what a client needs to report on the run without reading this work directory:
the stage summaries of the reports the stages wrote (``reports/<stage>/<stage>.report.json``, or
for the kfp engine each component's output parameter, decoded here from kfp's
``executor_output.json`` files) and a training run's per-step loss history.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platform_contracts.outputs import (
    DatasetOutput,
    EvaluationOutput,
    ModelOutput,
    RunOutputs,
    StageSummary,
    TrainPoint,
)

if TYPE_CHECKING:
    from platform_contracts.runspecs import DataPipelineSpec, EvaluationSpec, SynthesisSpec, TrainingSpec


class MetricSink:
    def __init__(self, path: Path) -> None:
        self.path = path

    def emit(self, key: str, value: float, step: int = 0) -> None:
        with open(self.path, "a") as fh:
            fh.write(json.dumps({"key": key, "step": step, "value": float(value)}) + "\n")


def _report_metrics(sink: MetricSink, stage: str, report: Any) -> None:
    for name in ("input_records", "output_records", "rejected_records", "seconds"):
        value = getattr(report, name, None)
        if isinstance(value, int | float):
            sink.emit(f"{stage}.{name}", value)
    print(f"[{stage}] {getattr(report, 'output_records', '?')} records out, "
          f"{getattr(report, 'rejected_records', 0)} rejected, {getattr(report, 'seconds', 0):.1f}s", flush=True)


def _decode_report(value: str) -> dict[str, Any] | None:
    """A kfp component's ``Output`` parameter: a stage report as JSON text or as URL-safe base64 of it."""
    for raw in (value, None):
        try:
            data = json.loads(raw if raw is not None else base64.urlsafe_b64decode(value.encode()))
        except ValueError:
            continue
        if isinstance(data, dict) and "stage" in data:
            return data
    return None


def kfp_stage_reports(root: Path) -> list[StageSummary]:
    """Stage summaries of a kfp local run (each component's ``Output``), summed over shards."""
    merged: dict[str, StageSummary] = {}
    for path in sorted(root.glob("**/executor_output.json")):
        value = json.loads(path.read_text()).get("parameterValues", {}).get("Output")
        data = _decode_report(value) if isinstance(value, str) else None
        if data is None:
            continue
        part = StageSummary.of(data)
        if "synthesized" in str(path) and part.stage == "verify":
            continue
        into = merged.setdefault(part.stage, StageSummary(stage=part.stage))
        into.input_records += part.input_records
        into.output_records += part.output_records
        into.rejected_records += part.rejected_records
        into.seconds += part.seconds
        for key, count in part.counts.items():
            into.counts[key] = into.counts.get(key, 0) + count
    return list(merged.values())


def stage_summaries(work: Path) -> list[StageSummary]:
    """The summaries of the stage reports this run wrote (kfp components first, then in the order the
    stages wrote them), one per stage."""
    from xlam.reports import StageReport

    found: dict[str, StageSummary] = {}
    if (work / "kfp").is_dir():
        for summary in kfp_stage_reports(work / "kfp"):
            found.setdefault(summary.stage, summary)
    for path in sorted((work / "reports").glob("*/*.report.json"), key=lambda p: (p.stat().st_mtime, p)):
        report = StageReport.model_validate_json(path.read_text())
        found.setdefault(report.stage, StageSummary.of(report))
    return list(found.values())


def _no_nulls(value: Any) -> Any:
    """kfp parameters cannot carry null: drop None entries (the config defaults apply again)."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value if v is not None]
    return value


def _kfp_inputs(inputs: list[str], categories: list[str] | None) -> list[str]:
    """Installed BFCL files/directories as ``bfcl://CATEGORY`` (kfp's local runner rewrites the substring
    ``python3`` in task arguments, which breaks paths into a Python 3 virtualenv)."""
    from xlam.assets import bfcl_data_dir
    from xlam.bfcl.data import BFCL_CATEGORIES, question_file

    root = Path(bfcl_data_dir()).resolve()
    out: list[str] = []
    for uri in inputs:
        path = Path(uri).resolve() if "://" not in uri else None
        if path is not None and path == root:
            wanted = categories or [c for c in BFCL_CATEGORIES if question_file(c).is_file()]
            out += [f"bfcl://{c}" for c in wanted]
        elif path is not None and path.parent == root and path.name.startswith("BFCL_v4_"):
            out.append(f"bfcl://{path.stem.removeprefix('BFCL_v4_')}")
        else:
            out.append(uri)
    return out


def run_kfp_data_pipeline(spec: DataPipelineSpec, work: Path, sink: MetricSink) -> RunOutputs:
    """The ``xlam-data`` kfp pipeline on kfp's local SubprocessRunner; registers the mixed output."""
    from pipelines.runner import run_local

    root = work / "kfp"
    inputs = list(spec.inputs)
    if spec.source == "bfcl":
        inputs = _kfp_inputs(inputs, spec.unify.categories)
    params = {"sources": [{"source": spec.source, "inputs": inputs}], "num_shards": spec.num_shards,
              "unify_config": spec.unify.model_dump(mode="json"), "augment_config": spec.augment,
              "verify_config": spec.verify.model_dump(mode="json") if spec.verify else {},
              "dedup_config": spec.dedup.model_dump(mode="json") if spec.dedup else {},
              "mix_config": spec.mix}
    params = _no_nulls(params)
    print(f"[kfp] xlam-data on the local runner, pipeline root {root}", flush=True)
    run_local("xlam-data", params, pipeline_root=root, enable_caching=False)
    outputs = sorted(root.glob("**/mix-op/out/manifest.json"), key=lambda p: p.stat().st_mtime)
    if not outputs:
        raise RuntimeError(f"the xlam-data pipeline left no mix-op output under {root}")
    uri = str(outputs[-1].parent)
    from xlam.datasets import read_manifest

    sink.emit("kfp.output_records", read_manifest(uri).num_records)
    return RunOutputs(datasets=[DatasetOutput(name=spec.output_name, uri=uri, inputs=list(spec.inputs))])


def run_data_pipeline(spec: DataPipelineSpec, work: Path, sink: MetricSink) -> RunOutputs:
    """unify -> verify -> dedup with the core stage runners (each step's config from the spec)."""
    if spec.engine == "kfp":
        return run_kfp_data_pipeline(spec, work, sink)
    from xlam.bfcl.data import resolve_bfcl_uri
    from xlam.data_pipeline import run_data_pipeline as run_steps

    print(f"[unify] {spec.source} <- {len(spec.inputs)} input(s)", flush=True)
    result = run_steps(spec.source, [resolve_bfcl_uri(u) for u in spec.inputs], work, spec.unify, spec.verify,
                       spec.dedup, on_report=lambda report: _report_metrics(sink, report.stage, report))
    return RunOutputs(datasets=[DatasetOutput(name=spec.output_name, uri=result.output_uri, inputs=list(spec.inputs))],
                      reports=[StageSummary.of(r) for r in result.reports])


def run_synthesis_kind(spec: SynthesisSpec, work: Path, sink: MetricSink) -> RunOutputs:
    from xlam.synthesis import run_synthesis

    out = str(work / "data" / "synthesized")
    # tools_uri None: the config's ``tools`` (default: the built-in catalog)
    report = run_synthesis(spec.tools_uri, out, spec.config,
                           rejects_uri=str(work / "data" / "synthesis-rejects"), report_dir=work / "reports" / "synthesis")
    _report_metrics(sink, "synthesis", report)
    inputs = [spec.tools_uri] if spec.tools_uri else []
    if spec.config.seed_uri:  # lineage: the verified seed records
        inputs.append(str(spec.config.seed_uri))
    return RunOutputs(datasets=[DatasetOutput(name=spec.output_name, uri=out, inputs=inputs)])


def _train_point(step: int, point: dict[str, Any]) -> TrainPoint:
    def number(key: str) -> float | None:
        value = point.get(key)
        return float(value) if isinstance(value, int | float) else None

    tokens = number("tokens")
    return TrainPoint(step=step, loss=number("loss"), lr=number("lr"), tokens=None if tokens is None else int(tokens))


class _MetricsTail:
    """Streams the trainer's ``metrics.jsonl`` (rank 0 appends one line per step) into the run's
    metric points while it trains, so ``GET /runs/{id}/metrics`` shows the loss live."""

    def __init__(self, path: Path, sink: MetricSink, interval: float = 1.0) -> None:
        self.path, self.sink, self.interval = path, sink, interval
        self.steps: set[int] = set()
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="metrics-tail", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except OSError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        self._offset += end + 1
        for line in data[:end].split(b"\n"):
            try:
                point = json.loads(line)
                step = int(point["step"])
            except (ValueError, KeyError, TypeError):
                continue
            if step in self.steps:  # a restarted worker group re-logs steps after its checkpoint
                continue
            for key, value in point.items():
                if key != "step" and isinstance(value, int | float):
                    self.sink.emit(f"train.{key}", value, step)
            self.steps.add(step)


def run_training_kind(spec: TrainingSpec, work: Path, sink: MetricSink) -> RunOutputs:
    from xlam.training import TrainConfig, TrainResult, run_training

    raw = spec.config.model_dump(mode="json")
    raw["output_dir"] = str(work / "train")  # server-controlled: runs never write outside their work dir
    raw["checkpoint"] = {**(raw.get("checkpoint") or {}), "storage_path": None}  # None: under output_dir
    raw["distributed"] = {**(raw.get("distributed") or {}), "ray_address": None}  # the platform's (local) Ray
    config = TrainConfig.model_validate(raw)  # the server's places, validated with the rest
    tail = _MetricsTail(Path(config.output_dir) / "metrics.jsonl", sink)
    tail.start()
    try:
        result: TrainResult = run_training(config)
    finally:
        tail.stop()
    final: dict[str, float] = {}
    history: list[TrainPoint] = []
    for i, point in enumerate(result.metrics):
        step = int(point.get("step", i))
        for key, value in point.items():
            if key != "step" and isinstance(value, int | float):
                if step not in tail.steps:  # not streamed while the run trained
                    sink.emit(f"train.{key}", value, step)
                final[key] = float(value)
        history.append(_train_point(step, point))
    artifact = str(result.hf_export_dir or result.checkpoint_uri or config.output_dir)
    card = json.dumps(result.model_card) if result.model_card else ""
    inputs = [str(u) for u in config.data.datasets]
    inputs += [str(src.get("uri")) for src in (config.data.mixture or {}).get("sources", []) if isinstance(src, dict)]
    return RunOutputs(models=[ModelOutput(name=spec.model_name, artifact_uri=artifact, metrics=final, card=card,
                                          inputs=inputs, history=history)])


def run_evaluation_kind(spec: EvaluationSpec, work: Path, sink: MetricSink) -> RunOutputs:
    from xlam.evaluation import run_bfcl_eval

    result = run_bfcl_eval(spec.config, work / "eval")
    summary: dict[str, float] = {}
    for category, score in result.categories.items():
        sink.emit(f"bfcl.{category}", score.accuracy)
        summary[f"bfcl.{category}"] = float(score.accuracy)
    for item in result.summaries:
        if item.value is not None:
            sink.emit(f"bfcl.{item.name}", item.value)
            summary[f"bfcl.{item.name}"] = float(item.value)
    print(f"[evaluation] {result.items} items in {result.seconds:.1f}s: "
          + ", ".join(f"{k}={v:.3f}" for k, v in summary.items()), flush=True)
    return RunOutputs(evaluation=EvaluationOutput(metrics=summary, out_dir=str(work / "eval"),
                                                  model_version_id=spec.model_version_id))


class EndpointError(RuntimeError):
    """A generator in the spec names no platform endpoint, or one this worker does not have."""


def resolve_endpoints(spec: Any, path: str = "spec") -> None:
    """Fill every generator's ``base_url``/``api_key_env`` from the platform endpoint it names.

    Runs never carry hosts or environment-variable names: an OpenAI-compatible generator names an
    endpoint that the platform admin configured (``XLAM_GENERATOR_ENDPOINTS``, host allow-listed,
    secret by the name of an environment variable mounted from a Secret). Anything else is refused
    here too (defense in depth behind the API's check; e.g. a run stored before it existed).
    """
    from services.settings import EndpointSettings, endpoint_host_problem

    settings: EndpointSettings | None = None
    stack: list[tuple[Any, str]] = [(spec, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        stack.extend((v, f"{where}.{k}") for k, v in node.items())
        if node.get("backend") != "openai":
            continue
        name = node.get("endpoint")
        if not name:
            raise EndpointError(f"{where}: openai generators in runs must name a platform endpoint")
        settings = settings or EndpointSettings()
        endpoint = settings.generator_endpoints.get(str(name))
        if endpoint is None:
            raise EndpointError(f"{where}.endpoint: generator endpoint {name!r} is not configured on this worker")
        problem = endpoint_host_problem(endpoint.base_url, settings.generator_allowed_hosts)
        if problem:
            raise EndpointError(f"{where}.endpoint: {problem}")
        node.update(base_url=endpoint.base_url, api_key_env=endpoint.api_key_env, extra_headers={},
                    model=node.get("model") or endpoint.model)


def error_message(exc: BaseException) -> str:
    """The run's failure message. Generator errors say what failed, never what the remote answered."""
    from xlam.generators.base import GeneratorError

    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, GeneratorError) for e in chain):
        status = re.search(r"\bHTTP (\d{3})\b", str(exc))
        return f"{type(exc).__name__}: generator endpoint request failed" + (
            f" (HTTP {status.group(1)})" if status else "")
    return f"{type(exc).__name__}: {exc}"


KINDS: dict[str, Any] = {"data-pipeline": run_data_pipeline, "synthesis": run_synthesis_kind, "training": run_training_kind,
         "evaluation": run_evaluation_kind}


def _write_result(work: Path, result: dict[str, Any]) -> None:
    tmp = work / f".result.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(result, default=str))
    os.replace(tmp, work / "result.json")


def main(argv: list[str]) -> int:
    work = Path(argv[1])
    job = json.loads((work / "spec.json").read_text())
    started = time.time()
    print(f"run {job['run_id']} attempt {job['attempt']}: {job['kind']} in {work}", flush=True)
    sink = MetricSink(work / "metrics.jsonl")
    try:
        from platform_contracts.runspecs import parse_spec

        resolve_endpoints(job["spec"])  # on the JSON form: fills in the platform endpoints' places
        outputs = KINDS[job["kind"]](parse_spec(job["kind"], job["spec"]), work, sink)
        if not outputs.reports:
            outputs = outputs.model_copy(update={"reports": stage_summaries(work)})
    except BaseException as exc:  # report every failure, including KeyboardInterrupt/SystemExit
        message = error_message(exc)
        if message.endswith(f"{type(exc).__name__}: {exc}"):
            traceback.print_exc()
        else:  # the frames only: the exception texts may carry a remote body
            print("Traceback (most recent call last):\n" + "".join(traceback.format_tb(exc.__traceback__))
                  + message, flush=True)
        _write_result(work, {"status": "failed", "error": message})
        return 1
    print(f"done in {time.time() - started:.1f}s", flush=True)
    _write_result(work, {"status": "succeeded", "outputs": outputs.model_dump(mode="json")})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
