"""The real kopf operator process (``xlam operator run``) against the fake Kubernetes API server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from operators.crd_schemas import all_crds
from tests.k8s.fake_apiserver import FakeApiServer

ROOT = Path(__file__).resolve().parents[2]
NS = "default"
TR = f"/apis/xlam.ai/v1alpha1/namespaces/{NS}/trainingruns"
RJ = f"/apis/ray.io/v1/namespaces/{NS}/rayjobs"
CM = f"/api/v1/namespaces/{NS}/configmaps"


def wait_for(fn: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    end = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < end:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last={last!r}")


class KfpHttpServer:
    """The stateful KFP v2beta1 fake of test_kfp_and_registration served over real HTTP."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from tests.k8s.test_kfp_and_registration import KfpState

        self.state = state = KfpState()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                req = httpx.Request(self.command, f"http://kfp.test{self.path}", content=body)
                resp = state.handler(req)
                data = resp.content
                self.send_response(resp.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture(scope="module")
def kfp_server() -> Iterator[KfpHttpServer]:
    server = KfpHttpServer()
    yield server
    server.httpd.shutdown()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, kuberay_crds: dict[str, dict],
            kfp_server: KfpHttpServer) -> Iterator[httpx.Client]:
    server = FakeApiServer(max_watch_s=10).start()
    http = httpx.Client(base_url=server.url, timeout=10)
    http.post("/api/v1/namespaces", json={"metadata": {"name": NS}}).raise_for_status()
    for crd in [*all_crds(), kuberay_crds["rayjobs"]]:
        http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd).raise_for_status()
    kubeconfig = tmp_path_factory.mktemp("kube") / "config"
    kubeconfig.write_text(yaml.safe_dump(server.kubeconfig()))
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "XLAM_IMAGE": "registry.test/xlam:e2e",
           "KFP_ENDPOINT": kfp_server.url}
    env.pop("XLAM_API_URL", None)
    log = open(tmp_path_factory.mktemp("log") / "operator.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "xlam.cli.main", "operator", "run", "-n", NS, "--liveness", ""],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # kopf is up once it watches our resources.
        wait_for(lambda: any("trainingruns" in p and "watch=" in p for _, p in server.store.requests),
                 "the operator to watch trainingruns", timeout=30)
        yield http
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.seek(0)
        print(log.read()[-6000:])
        server.stop()


def training_run(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "xlam.ai/v1alpha1", "kind": "TrainingRun",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"recipe": "xlam-8x7b", "method": "sft", "config": {"data": {"datasets": ["/data/mix"]}},
                 "resources": {"sizing": "Explicit", "nodes": 2, "gpusPerNode": 8, "zeroStage": 3},
                 "storage": {"pvc": {"claimName": "xlam-data", "mountPath": "/data"}},
                 "scheduling": {"queueName": "gpu-queue"},
                 "activeDeadlineSeconds": 86400, "ttlSecondsAfterFinished": 600},
    }


def get(http: httpx.Client, path: str) -> dict[str, Any] | None:
    r = http.get(path)
    return r.json() if r.status_code == 200 else None


def phase(http: httpx.Client, name: str) -> str | None:
    obj = get(http, f"{TR}/{name}") or {}
    return (obj.get("status") or {}).get("phase")


def test_training_run_lifecycle(cluster: httpx.Client) -> None:
    http = cluster
    created = http.post(TR, json=training_run("mixtral-sft"))
    assert created.status_code == 201, created.text
    uid = created.json()["metadata"]["uid"]

    rayjob = wait_for(lambda: get(http, f"{RJ}/mixtral-sft"), "the RayJob")
    cm = wait_for(lambda: get(http, f"{CM}/mixtral-sft-train-config"), "the ConfigMap")
    for child in (rayjob, cm):
        (ref,) = child["metadata"]["ownerReferences"]
        assert ref["uid"] == uid and ref["kind"] == "TrainingRun" and ref["controller"] is True
    assert rayjob["spec"]["submissionMode"] == "K8sJobMode"
    assert rayjob["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "gpu-queue"
    assert rayjob["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["replicas"] == 2
    assert yaml.safe_load(cm["data"]["train.yaml"])["distributed"]["num_workers"] == 16

    assert wait_for(lambda: phase(http, "mixtral-sft") == "Submitted", "phase Submitted")
    tr = get(http, f"{TR}/mixtral-sft")
    assert tr["status"]["sizing"] == {"source": "Explicit", "nodes": 2, "gpusPerNode": 8, "zeroStage": 3, "note": ""}
    assert "xlam.ai/operator-cleanup" in tr["metadata"]["finalizers"]

    # KubeRay moves the RayJob along: status follows on both axes.
    r = http.patch(f"{RJ}/mixtral-sft/status", headers={"Content-Type": "application/merge-patch+json"},
                   json={"status": {"jobStatus": "RUNNING", "jobDeploymentStatus": "Running",
                                    "rayClusterName": "mixtral-sft-abcde"}})
    assert r.status_code == 200, r.text
    wait_for(lambda: phase(http, "mixtral-sft") == "Running", "phase Running")
    http.patch(f"{RJ}/mixtral-sft/status", headers={"Content-Type": "application/merge-patch+json"},
               json={"status": {"jobStatus": "FAILED", "jobDeploymentStatus": "Running", "reason": "AppFailed",
                                "message": "exit code 1"}}).raise_for_status()
    wait_for(lambda: phase(http, "mixtral-sft") == "Failed", "phase Failed (jobStatus FAILED, deployment Running)")
    tr = get(http, f"{TR}/mixtral-sft")
    assert tr["status"]["rayJob"]["jobStatus"] == "FAILED" and tr["status"]["reason"] == "AppFailed"
    assert tr["status"]["completionTime"]

    # Deleting runs the finalizer, which removes the children; then the object goes.
    http.delete(f"{TR}/mixtral-sft").raise_for_status()
    wait_for(lambda: get(http, f"{TR}/mixtral-sft") is None, "the TrainingRun to be gone")
    assert get(http, f"{RJ}/mixtral-sft") is None
    assert get(http, f"{CM}/mixtral-sft-train-config") is None


def test_cancel_deletes_rayjob_and_ends_cancelled(cluster: httpx.Client) -> None:
    http = cluster
    http.post(TR, json=training_run("to-cancel")).raise_for_status()
    wait_for(lambda: get(http, f"{RJ}/to-cancel"), "the RayJob")
    wait_for(lambda: phase(http, "to-cancel") == "Submitted", "phase Submitted")
    http.patch(f"{TR}/to-cancel", headers={"Content-Type": "application/merge-patch+json"},
               json={"spec": {"cancel": True}}).raise_for_status()
    wait_for(lambda: get(http, f"{RJ}/to-cancel") is None, "the RayJob to be deleted")
    wait_for(lambda: phase(http, "to-cancel") == "Cancelled", "phase Cancelled")


def test_invalid_run_is_rejected_by_the_schema(cluster: httpx.Client) -> None:
    bad = training_run("bad")
    bad["spec"]["resources"]["nodes"] = 0
    r = cluster.post(TR, json=bad)
    assert r.status_code == 422 and "nodes" in r.json()["message"]
    both = training_run("bad")
    both["spec"]["storage"]["uri"] = "s3://bucket"  # CEL: exactly one of pvc / uri
    r = cluster.post(TR, json=both)
    assert r.status_code == 422 and "exactly one of storage.pvc or storage.uri" in r.json()["message"]
    ok = cluster.post(TR, json=training_run("defaulted")).json()  # stored with the CRD's defaults
    assert ok["spec"]["backoffLimit"] == 0 and ok["spec"]["rayVersion"] == "2.60.0" and ok["spec"]["cancel"] is False
    cluster.delete(f"{TR}/defaulted")


# ----------------------------------------------------------------- the control plane's kubernetes backend
def kube_api(http: httpx.Client) -> Any:
    from kubernetes import client

    from operators.kube import KubeApi

    cfg = client.Configuration()
    cfg.host = str(http.base_url).rstrip("/")
    cfg.api_key = {"authorization": "fake-token"}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    return KubeApi(client.ApiClient(cfg))


def test_kubernetes_backend_with_the_operator(cluster: httpx.Client, tmp_path: Path) -> None:
    from services.backends.base import RunContext
    from services.backends.kubernetes import K8sBackendSettings, KubernetesBackend
    from tests.k8s.fake_apiserver import LOG_ANNOTATION

    http = cluster
    backend = KubernetesBackend(api=kube_api(http), settings=K8sBackendSettings(
        namespace=NS, storage_uri="s3://bucket", nodes=1, gpus_per_node=0))
    ctx = RunContext(run_id="run_01JTRAIN", project_id="proj", kind="training",
                     spec={"model_name": "xlam-tiny", "config": {
                         "model": {"recipe": "tiny"}, "method": "sft", "optim": {"max_steps": 5},
                         "data": {"datasets": ["s3://bucket/mix"]}}},
                     attempt=1, claim=1, work_dir=tmp_path, artifact_root="s3://bucket/artifacts")
    ref = backend.submit(ctx)
    assert backend.submit(ctx) == ref  # idempotent: the same resource is adopted
    name = ref.rsplit("/", 1)[1]
    assert name == "run-01jtrain-a1"
    rayjob = wait_for(lambda: get(http, f"{RJ}/{name}"), "the operator to create the RayJob")
    # the handler's status patch lands just after the children
    tr = wait_for(lambda: (o := get(http, f"{TR}/{name}")) and (o.get("status") or {}).get("controlPlane") and o,
                  "status.controlPlane")
    assert tr["spec"]["controlPlaneRunId"] == "run_01JTRAIN" and tr["status"]["controlPlane"]["runId"] == "run_01JTRAIN"
    assert backend.status(ref).phase == "pending"

    http.patch(f"{RJ}/{name}/status", headers={"Content-Type": "application/merge-patch+json"},
               json={"status": {"jobStatus": "RUNNING", "jobDeploymentStatus": "Running"}}).raise_for_status()
    wait_for(lambda: backend.status(ref).phase == "running", "backend status running")

    # Logs come from the run's submitter pod (it tails the Ray driver log), incrementally.
    pod = {"metadata": {"name": f"{name}-submitter-x", "labels": {
        "xlam.ai/run": name, "app.kubernetes.io/component": "ray-submitter"},
        "annotations": {LOG_ANNOTATION: "2026-11-26T10:00:00Z step 1 loss 2.0\n2026-11-26T10:00:01Z step 2 loss 1.5"}},
        "spec": {"containers": [{"name": "c", "image": "i"}]}}
    http.post(f"/api/v1/namespaces/{NS}/pods", json=pod).raise_for_status()
    assert backend.logs(ref) == [f"[{name}-submitter-x] step 1 loss 2.0", f"[{name}-submitter-x] step 2 loss 1.5"]
    assert backend.logs(ref) == []
    pod_path = f"/api/v1/namespaces/{NS}/pods/{name}-submitter-x"
    log = get(http, pod_path)["metadata"]["annotations"][LOG_ANNOTATION] + "\n2026-11-26T10:00:02Z done"
    http.patch(pod_path, headers={"Content-Type": "application/merge-patch+json"},
               json={"metadata": {"annotations": {LOG_ANNOTATION: log}}}).raise_for_status()
    assert backend.logs(ref) == [f"[{name}-submitter-x] done"]

    http.patch(f"{RJ}/{name}/status", headers={"Content-Type": "application/merge-patch+json"},
               json={"status": {"jobStatus": "SUCCEEDED", "jobDeploymentStatus": "Complete"}}).raise_for_status()
    final = wait_for(lambda: (st := backend.status(ref)).terminal and st, "backend status succeeded")
    assert final.phase == "succeeded"
    (model,) = final.outputs["models"]
    assert model["name"] == "xlam-tiny" and model["artifact_uri"] == f"s3://bucket/runs/{NS}/{name}"
    assert rayjob["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["groupName"] == "cpu-workers"

    # cancel through the backend
    ctx2 = RunContext(run_id="run_01JCANCEL", project_id="proj", kind="training",
                      spec={"model_name": "m", "config": {"data": {"datasets": ["s3://b/d"]}}}, attempt=2, claim=1,
                      work_dir=tmp_path, artifact_root="s3://bucket/artifacts")
    ref2 = backend.submit(ctx2)
    wait_for(lambda: get(http, f"{RJ}/run-01jcancel-a2"), "the second RayJob")
    backend.cancel(ref2)
    wait_for(lambda: backend.status(ref2).phase == "cancelled", "backend status cancelled")
    assert get(http, f"{RJ}/run-01jcancel-a2") is None


def test_backend_rejects_invalid_runs_before_the_cluster(cluster: httpx.Client, tmp_path: Path) -> None:
    from services.backends.base import RunContext
    from services.backends.kubernetes import K8sBackendSettings, KubernetesBackend

    backend = KubernetesBackend(api=kube_api(cluster), settings=K8sBackendSettings(namespace=NS, storage_uri="s3://b"))
    ctx = RunContext(run_id="run_bad", project_id="p", kind="training", spec={"config": {"model": {"recipe": "gpt-9"}}},
                     attempt=1, claim=1, work_dir=tmp_path, artifact_root="s3://b")
    with pytest.raises(ValueError, match="recipe"):
        backend.submit(ctx)
    assert get(cluster, f"{TR}/run-bad-a1") is None


def test_backend_adopts_a_kubectl_created_run(cluster: httpx.Client, tmp_path: Path) -> None:
    """A TrainingRun applied with kubectl and registered by the operator (label xlam.ai/run-id) is
    adopted by the worker's backend on the first attempt instead of a second resource being created."""
    from services.backends.base import RunContext
    from services.backends.kubernetes import K8sBackendSettings, KubernetesBackend

    http = cluster
    cr = training_run("kubectl-made")
    cr["metadata"]["labels"] = {"xlam.ai/run-id": "run_01JKUBECTL"}
    http.post(TR, json=cr).raise_for_status()
    backend = KubernetesBackend(api=kube_api(http), settings=K8sBackendSettings(namespace=NS, storage_uri="s3://b"))
    ctx = RunContext(run_id="run_01JKUBECTL", project_id="p", kind="training",
                     spec={"model_name": "m", "config": {"data": {"datasets": ["s3://b/d"]}}},
                     attempt=1, claim=1, work_dir=tmp_path, artifact_root="s3://b")
    assert backend.submit(ctx) == f"k8s:{NS}/TrainingRun/kubectl-made"
    assert get(http, f"{TR}/run-01jkubectl-a1") is None
    # a retry (attempt 2) gets its own resource
    ctx.attempt = 2
    assert backend.submit(ctx) == f"k8s:{NS}/TrainingRun/run-01jkubectl-a2"
    wait_for(lambda: get(http, f"{RJ}/run-01jkubectl-a2"), "the retry's RayJob")


def test_evaluation_run_becomes_a_job_and_follows_it(cluster: httpx.Client) -> None:
    http = cluster
    er_path = f"/apis/xlam.ai/v1alpha1/namespaces/{NS}/evaluationruns"
    job_path = f"/apis/batch/v1/namespaces/{NS}/jobs"
    er = yaml.safe_load((ROOT / "examples" / "k8s" / "evaluationrun.yaml").read_text())
    er["metadata"]["namespace"] = NS
    uid = http.post(er_path, json=er).raise_for_status().json()["metadata"]["uid"]
    name = er["metadata"]["name"]
    job = wait_for(lambda: get(http, f"{job_path}/{name}-eval"), "the evaluation Job")
    assert job["metadata"]["ownerReferences"][0]["uid"] == uid
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.test/xlam:e2e"  # XLAM_IMAGE

    def er_phase() -> str | None:
        return ((get(http, f"{er_path}/{name}") or {}).get("status") or {}).get("phase")

    http.patch(f"{job_path}/{name}-eval/status", headers={"Content-Type": "application/merge-patch+json"},
               json={"status": {"active": 1}}).raise_for_status()
    wait_for(lambda: er_phase() == "Running", "phase Running")
    http.patch(f"{job_path}/{name}-eval/status", headers={"Content-Type": "application/merge-patch+json"},
               json={"status": {"active": 0, "succeeded": 1, "conditions": [
                   {"type": "Complete", "status": "True"}]}}).raise_for_status()
    wait_for(lambda: er_phase() == "Succeeded", "phase Succeeded")
    status = get(http, f"{er_path}/{name}")["status"]
    assert status["job"] == {"name": f"{name}-eval", "active": 0, "succeeded": 1, "failed": 0}
    http.delete(f"{er_path}/{name}").raise_for_status()
    wait_for(lambda: get(http, f"{er_path}/{name}") is None, "the EvaluationRun to be gone")
    assert get(http, f"{job_path}/{name}-eval") is None


def test_synthesis_run_creates_one_kfp_run_and_terminates_it_on_delete(cluster: httpx.Client,
                                                                        kfp_server: KfpHttpServer) -> None:
    http = cluster
    sr_path = f"/apis/xlam.ai/v1alpha1/namespaces/{NS}/synthesisruns"
    sr = yaml.safe_load((ROOT / "examples" / "k8s" / "synthesisrun.yaml").read_text())
    sr["metadata"]["namespace"] = NS
    sr["spec"]["parameters"]["num_batches"] = 2
    http.post(sr_path, json=sr).raise_for_status()
    name = sr["metadata"]["name"]

    def status() -> dict:
        return (get(http, f"{sr_path}/{name}") or {}).get("status") or {}

    wait_for(lambda: (status().get("kfpRun") or {}).get("id"), "the KFP run id in status")
    (run,) = kfp_server.state.runs.values()
    assert status()["kfpRun"]["id"] == run["run_id"] and status()["phase"] == "Submitted"
    assert run["runtime_config"]["parameters"]["num_batches"] == 2
    assert run["pipeline_version_reference"] == {"pipeline_id": "pipe-1", "pipeline_version_id": "ver-2"}
    http.delete(f"{sr_path}/{name}").raise_for_status()
    wait_for(lambda: get(http, f"{sr_path}/{name}") is None, "the SynthesisRun to be gone")
    assert run["state"] == "CANCELING"  # the finalizer terminated the unfinished KFP run
    assert len(kfp_server.state.runs) == 1
