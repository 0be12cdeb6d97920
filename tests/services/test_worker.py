"""Runs executed by a real Celery worker process (Redis broker, PostgreSQL): lifecycle, SIGKILL, cancel."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from platform_contracts.outputs import RegisteredOutputs
from services.db.models import Dataset, RunEvent
from services.db.session import session_factory
from tests.services.conftest import WorkerProcess
from tests.services.helpers import data_pipeline_spec, get_run, sample_records, wait_state

pytestmark = pytest.mark.services


def test_data_pipeline_lifecycle_outputs_lineage_logs_metrics(
        client: Any, project: dict[str, Any], worker: WorkerProcess, bfcl_dir: Path) -> None:
    p, h = project["name"], project["editor"].h
    spec = {**data_pipeline_spec(bfcl_dir, ["simple_python", "multiple"], limit=40), "engine": "direct"}
    run = client.post(f"/v1/projects/{p}/runs", json={"kind": "data-pipeline", "name": "unify", "spec": spec},
                      headers={**h, "Idempotency-Key": uuid.uuid4().hex}).json()
    done = wait_state(client, p, h, run["id"], ("succeeded", "failed"))
    assert done["state"] == "succeeded", done["message"]
    assert done["submitted_at"] <= done["started_at"] <= done["finished_at"]
    events = client.get(f"/v1/projects/{p}/runs/{run['id']}/events", headers=h).json()
    assert [e["to_state"] for e in events] == ["queued", "submitted", "running", "succeeded"]
    (out,) = done["outputs"]["datasets"]
    ds = client.get(f"/v1/projects/{p}/datasets/{out['id']}", headers=h).json()
    assert ds["producing_run_id"] == run["id"] and ds["name"] == spec["output_name"]
    logs = client.get(f"/v1/projects/{p}/runs/{run['id']}/logs", params={"limit": 2}, headers=h).json()
    assert len(logs["data"]) == 2 and run["id"] in logs["data"][0]["line"]
    rest = client.get(f"/v1/projects/{p}/runs/{run['id']}/logs", params={"cursor": logs["next_cursor"]}, headers=h).json()
    assert any("[unify] 40 records out" in line["line"] for line in rest["data"])
    with client.stream("GET", f"/v1/projects/{p}/runs/{run['id']}/logs/stream", headers=h) as resp:
        body = resp.read().decode()
    assert "event: end" in body and "[unify] 40 records out" in body
    metrics = client.get(f"/v1/projects/{p}/runs/{run['id']}/metrics", headers=h).json()
    assert metrics["unify.output_records"][0]["value"] == 40.0
    # unify -> verify -> dedup all ran; the registered dataset is the last stage's output
    last = "dedup" if "dedup.output_records" in metrics else "verify"
    assert "verify.output_records" in metrics
    assert ds["num_records"] == metrics[f"{last}.output_records"][0]["value"] > 0
    # the stages' reports come back as run outputs, in run order, with the numbers of the metrics
    reports = done["outputs"]["reports"]
    assert [r["stage"] for r in reports] == ["unify", "verify", "dedup"]
    for r in reports:
        assert r["output_records"] == metrics[f"{r['stage']}.output_records"][0]["value"]
        assert set(r) == {"stage", "input_records", "output_records", "rejected_records", "seconds", "counts"}
    assert reports[0]["output_records"] == 40 and reports[-1]["output_records"] == ds["num_records"]
    typed = RegisteredOutputs.model_validate(done["outputs"])  # what XlamClient.run_outputs returns
    assert typed.datasets[0].id == ds["id"] and typed.reports[0].report().pass_rate > 0


def test_data_pipeline_through_kfp_local_runner(client: Any, project: dict[str, Any], worker: WorkerProcess) -> None:
    p, h = project["name"], project["editor"].h
    spec = {"source": "bfcl", "inputs": ["bfcl://simple_python"], "output_name": "kfp-data", "num_shards": 1,
            "unify": {"limit": 6}}
    run = client.post(f"/v1/projects/{p}/runs", json={"kind": "data-pipeline", "spec": spec}, headers=h).json()
    assert run["spec"]["engine"] == "kfp"  # auto: the pipelines package is installed
    done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=180)
    assert done["state"] == "succeeded", done["message"]
    (out,) = done["outputs"]["datasets"]
    ds = client.get(f"/v1/projects/{p}/datasets/{out['id']}", headers=h).json()
    assert "/mix-op/out" in ds["uri"] and ds["producing_run_id"] == run["id"]
    metrics = client.get(f"/v1/projects/{p}/runs/{run['id']}/metrics", headers=h).json()
    assert metrics["kfp.output_records"][0]["value"] == ds["num_records"] > 0
    # each component's stage report, decoded by the backend from kfp's outputs and summed over shards
    reports = {r["stage"]: r for r in done["outputs"]["reports"]}
    assert {"unify", "verify", "dedup"} <= set(reports), reports
    assert reports["unify"]["output_records"] == 6


def test_worker_sigkill_mid_run_finishes_exactly_once(
        client: Any, project: dict[str, Any], worker: WorkerProcess, settings: Any, bfcl_dir: Path) -> None:
    p, h = project["name"], project["editor"].h
    run = client.post(f"/v1/projects/{p}/runs", json={"kind": "data-pipeline", "spec": data_pipeline_spec(bfcl_dir, copies=2, unify_only=True)},
                      headers=h).json()
    wait_state(client, p, h, run["id"], ("running",))
    worker.kill()  # main process, pool child and the stage subprocess, mid-run
    worker.start()  # its reconciler takes the run back once the dead worker's lease expires
    done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=90)
    assert done["state"] == "succeeded", done["message"]
    with session_factory(settings.database_url)() as s:
        states = list(s.scalars(select(RunEvent.to_state).where(RunEvent.run_id == run["id"]).order_by(RunEvent.id)))
        produced = s.scalar(select(func.count()).select_from(Dataset).where(Dataset.producing_run_id == run["id"]))
    assert states == ["queued", "submitted", "running", "queued", "submitted", "running", "succeeded"]
    assert produced == 1 and len(done["outputs"]["datasets"]) == 1


def test_cancel_reaches_running_work(
        client: Any, project: dict[str, Any], worker: WorkerProcess, settings: Any, bfcl_dir: Path) -> None:
    p, h = project["name"], project["editor"].h
    run = client.post(f"/v1/projects/{p}/runs", json={"kind": "data-pipeline", "spec": data_pipeline_spec(bfcl_dir, copies=2, unify_only=True)},
                      headers=h).json()
    running = wait_state(client, p, h, run["id"], ("running",))
    assert client.post(f"/v1/projects/{p}/runs/{run['id']}/cancel", headers=h).json()["state"] == "cancelling"
    done = wait_state(client, p, h, run["id"], ("cancelled", "succeeded", "failed"), timeout=30)
    assert done["state"] == "cancelled"
    work = Path(running["external_ref"].removeprefix("local:"))
    assert not (work / "result.json").exists()  # the stage process was stopped, not left to finish
    assert client.get(f"/v1/projects/{p}/datasets", headers=h).json()["data"] == []
    # retry: a new attempt of the same run, which then succeeds
    client.post(f"/v1/projects/{p}/runs/{run['id']}/retry", headers=h)
    spec_small = get_run(client, p, h, run["id"])
    assert spec_small["attempt"] == 2
    done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=90)
    assert done["state"] == "succeeded" and done["attempt"] == 2


def test_duplicate_submits_with_one_key_execute_once(
        client: Any, project: dict[str, Any], worker: WorkerProcess, bfcl_dir: Path) -> None:
    p, h = project["name"], project["editor"].h
    body = {"kind": "data-pipeline", "spec": data_pipeline_spec(bfcl_dir, ["simple_python"], unify_only=True, limit=5)}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    ids = {client.post(f"/v1/projects/{p}/runs", json=body, headers={**h, **key}).json()["id"] for _ in range(3)}
    assert len(ids) == 1
    (run_id,) = ids
    assert wait_state(client, p, h, run_id, ("succeeded", "failed"))["state"] == "succeeded"
    assert len(client.get(f"/v1/projects/{p}/runs", headers=h).json()["data"]) == 1
    assert len(client.get(f"/v1/projects/{p}/datasets", headers=h).json()["data"]) == 1


def test_synthesis_lifecycle_registers_a_dataset(
        client: Any, project: dict[str, Any], worker: WorkerProcess) -> None:
    p, h = project["name"], project["editor"].h
    spec = {"output_name": "synth", "config": {"n": 4, "seed": 3, "generator": {"backend": "template"}}}
    run = client.post(f"/v1/projects/{p}/runs", json={"kind": "synthesis", "spec": spec}, headers=h).json()
    assert run["spec"]["config"]["n"] == 4, run
    done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=90)
    assert done["state"] == "succeeded", done["message"]
    (out,) = done["outputs"]["datasets"]
    ds = client.get(f"/v1/projects/{p}/datasets/{out['id']}", headers=h).json()
    assert ds["num_records"] == 4 and ds["producing_run_id"] == run["id"]
    (report,) = [r for r in done["outputs"]["reports"] if r["stage"] == "synthesize"]
    assert report["output_records"] == 4
    bad = client.post(f"/v1/projects/{p}/runs", json={"kind": "synthesis", "spec": {
        "output_name": "x", "config": {"tools": "module:os"}}}, headers=h)
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "spec.config.tools"


@pytest.mark.slow
def test_training_lifecycle_registers_a_model_version_with_lineage(
        client: Any, project: dict[str, Any], worker: WorkerProcess) -> None:
    p, h = project["name"], project["editor"].h
    up = client.post(f"/v1/projects/{p}/datasets/upload", params={"name": "train-set"},
                     content=b"\n".join(r.model_dump_json().encode() for r in sample_records(8)), headers=h).json()
    config = {"model": {"recipe": "tiny"}, "data": {"datasets": [up["uri"]], "max_seq_len": 256, "over_length": "truncate"},
              "optim": {"max_steps": 2, "warmup_steps": 0},
              "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"}}
    bad = client.post(f"/v1/projects/{p}/runs", json={"kind": "training", "spec": {
        "model_name": "fc", "config": {**config, "optim": {"max_steps": 0}}}}, headers=h)
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "spec.config.optim.max_steps"
    run = client.post(f"/v1/projects/{p}/runs", json={"kind": "training", "spec": {"model_name": "fc", "config": config}},
                      headers=h).json()
    done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=240)
    assert done["state"] == "succeeded", done["message"]
    (mv,) = done["outputs"]["model_versions"]
    version = client.get(f"/v1/projects/{p}/models/fc/versions/{mv['version']}", headers=h).json()
    assert version["run_id"] == run["id"] and version["dataset_ids"] == [up["id"]]
    assert version["artifact_uri"].endswith("/hf") and "loss" in version["metrics"]
    assert (Path(version["artifact_uri"]) / "config.json").exists()
    series = client.get(f"/v1/projects/{p}/runs/{run['id']}/metrics", params={"key": "train.loss"}, headers=h).json()
    assert [pt["step"] for pt in series["train.loss"]] == [1, 2]  # streamed while training, none twice
    # the loss history comes back with the run's outputs
    assert [pt["step"] for pt in mv["history"]] == [1, 2]
    assert [pt["loss"] for pt in mv["history"]] == [pt["value"] for pt in series["train.loss"]]
    assert all(pt["lr"] is not None and pt["tokens"] > 0 for pt in mv["history"])
    lineage = client.get(f"/v1/projects/{p}/datasets/{up['id']}/lineage", headers=h).json()
    assert lineage["consuming_model_versions"] == [version["id"]]


def test_evaluation_of_a_registered_version_records_bfcl_metrics(
        client: Any, project: dict[str, Any], worker: WorkerProcess, home: Path) -> None:
    p, h, owner = project["name"], project["editor"].h, project["owner"].h
    art = home / f"model-{uuid.uuid4().hex[:6]}"
    art.mkdir()
    client.post(f"/v1/projects/{p}/models", json={"name": "evalme"}, headers=h)
    mv = client.post(f"/v1/projects/{p}/models/evalme/versions", json={"artifact_uri": str(art)}, headers=h).json()
    config = {"model": "smol", "generator": {"backend": "template"}, "categories": ["simple_python"], "limit": 2}
    bad = client.post(f"/v1/projects/{p}/runs", json={"kind": "evaluation", "spec": {
        "config": config, "model_version_id": "mv_" + "0" * 26}}, headers=h)
    assert bad.status_code == 422 and "model_version_id" in bad.json()["message"]
    run = client.post(f"/v1/projects/{p}/runs", json={"kind": "evaluation", "spec": {
        "config": config, "model_version_id": mv["id"]}}, headers=h).json()
    done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=90)
    assert done["state"] == "succeeded", done["message"]
    metrics = client.get(f"/v1/projects/{p}/runs/{run['id']}/metrics", headers=h).json()
    assert set(metrics) >= {"bfcl.simple_python", "bfcl.non_live_ast"}
    version = client.get(f"/v1/projects/{p}/models/evalme/versions/1", headers=owner).json()
    assert version["metrics"]["bfcl.simple_python"] == metrics["bfcl.simple_python"][0]["value"]
