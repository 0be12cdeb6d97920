"""The pipeline's ``rayjob`` launcher: TrainingRun through the Kubernetes backend, phase followed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from operators.crd_schemas import all_crds
from tests.k8s.fake_apiserver import FakeApiServer
from tests.k8s.test_operator_e2e import NS, TR, get, kube_api


@pytest.fixture()
def api_server() -> Iterator[httpx.Client]:
    server = FakeApiServer(max_watch_s=5).start()
    http = httpx.Client(base_url=server.url, timeout=10)
    http.post("/api/v1/namespaces", json={"metadata": {"name": NS}}).raise_for_status()
    for crd in all_crds():
        http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd).raise_for_status()
    try:
        yield http
    finally:
        server.stop()


def test_rayjob_launcher_creates_a_training_run_and_follows_its_phase(api_server: httpx.Client,
                                                                      tmp_path: Path) -> None:
    from operators.rayjob_launcher import RayJobLauncher
    from pipelines.launchers import _LAUNCHERS
    from services.backends.kubernetes import K8sBackendSettings, KubernetesBackend

    assert _LAUNCHERS["rayjob"] is RayJobLauncher  # importing the module registers it
    backend = KubernetesBackend(api=kube_api(api_server), settings=K8sBackendSettings(
        namespace=NS, storage_uri="s3://bucket", nodes=1, gpus_per_node=0))
    launcher = RayJobLauncher(backend, project="p")
    cfg = {"name": "tiny-moe-sft", "method": "sft", "model": {"recipe": "tiny-moe"},
           "data": {"datasets": ["s3://bucket/mix"]}, "optim": {"max_steps": 5}}
    job = launcher.launch(cfg, str(tmp_path / "sft"))
    assert launcher.launch(cfg, str(tmp_path / "sft")) == job  # idempotent: same resource adopted
    name = job.rsplit("/", 1)[1]
    tr = get(api_server, f"{TR}/{name}")
    assert tr is not None and tr["spec"]["recipe"] == "tiny-moe" and tr["spec"]["method"] == "sft"
    assert launcher.state(job).state == "pending"

    def set_phase(phase: str) -> None:
        api_server.patch(f"{TR}/{name}/status", headers={"Content-Type": "application/merge-patch+json"},
                         json={"status": {"phase": phase, "outputUri": f"s3://bucket/runs/{NS}/{name}"}}
                         ).raise_for_status()

    set_phase("Running")
    assert launcher.state(job).state == "running"
    set_phase("Succeeded")
    final = launcher.state(job)
    assert final.state == "succeeded"
    assert final.result["hf_export_dir"].startswith("s3://bucket/runs/")
    launcher.cancel(job)  # cancelling a finished run is harmless
