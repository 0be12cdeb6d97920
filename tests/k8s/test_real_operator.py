"""The real kopf operator process (``xlam operator run``) against a real kube-apiserver v1.20.2,
authenticated as the ``xlam-operator`` ServiceAccount that ``manifests/base/rbac.yaml`` binds (the
dev overlay is applied for real, RBAC enforced). There is no KubeRay, Job or KFP controller: the
tests play KubeRay and the Job controller by writing the children's status through the status
subresource, as those controllers do. The KFP side is a local HTTP stand-in of the KFP v2beta1 REST
API (``KfpHttpServer``): KFP's own API server cannot run here."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.k8s.realserver import MERGE, ROOT, KubeletStandIn, RealApiServer, wait_for

pytestmark = pytest.mark.apiserver

NS = "xlam"  # the dev overlay's namespace: the operator's Role and RoleBinding live there
TR = f"/apis/xlam.ai/v1alpha1/namespaces/{NS}/trainingruns"
ER = f"/apis/xlam.ai/v1alpha1/namespaces/{NS}/evaluationruns"
SR = f"/apis/xlam.ai/v1alpha1/namespaces/{NS}/synthesisruns"
RJ = f"/apis/ray.io/v1/namespaces/{NS}/rayjobs"
CM = f"/api/v1/namespaces/{NS}/configmaps"
JOB = f"/apis/batch/v1/namespaces/{NS}/jobs"
IMAGE = "registry.test/xlam:e2e"


class KfpHttpServer:
    """The stateful KFP v2beta1 stand-in of test_kfp_and_registration, served over real HTTP."""

    def __init__(self) -> None:
        from tests.k8s.test_kfp_and_registration import KfpState

        self.state = state = KfpState()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                resp = state.handler(httpx.Request(self.command, f"http://kfp.test{self.path}", content=body))
                self.send_response(resp.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            do_GET = do_POST = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OperatorProcess:
    """``xlam operator run -n xlam`` with a kubeconfig holding the operator ServiceAccount's token."""

    def __init__(self, kubeconfig: Path, kfp_url: str, log_path: Path) -> None:
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "XLAM_IMAGE": IMAGE, "KFP_ENDPOINT": kfp_url}
        for key in ("XLAM_API_URL", "KUBERNETES_SERVICE_HOST"):
            self.env.pop(key, None)
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        port = _free_port()
        log = open(self.log_path, "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xlam.cli.main", "operator", "run", "-n", NS,
             "--liveness", f"http://127.0.0.1:{port}/healthz"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.starts += 1

        def alive() -> bool:
            assert self.proc is not None and self.proc.poll() is None, f"operator exited:\n{self.log()}"
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(alive, "the operator's liveness endpoint", timeout=60)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text()[-8000:] if self.log_path.exists() else ""


@pytest.fixture(scope="module")
def kfp_server() -> Iterator[KfpHttpServer]:
    server = KfpHttpServer()
    yield server
    server.httpd.shutdown()


@pytest.fixture(scope="module")
def operator(apiserver: RealApiServer, xlam_installed: dict[str, Any], kfp_server: KfpHttpServer,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[OperatorProcess]:
    work = tmp_path_factory.mktemp("operator")
    token = apiserver.sa_token(NS, "xlam-operator")
    proc = OperatorProcess(apiserver.kubeconfig(work / "kubeconfig", token, NS), kfp_server.url, work / "operator.log")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
        print(proc.log())


@pytest.fixture()
def http(admin: httpx.Client, operator: OperatorProcess) -> httpx.Client:
    assert operator.proc is not None and operator.proc.poll() is None, operator.log()
    return admin


def training_run(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "xlam.ai/v1alpha1", "kind": "TrainingRun", "metadata": {"name": name},
        "spec": {"recipe": "xlam-8x7b", "method": "sft", "config": {"data": {"datasets": ["/data/mix"]}},
                 "resources": {"sizing": "Explicit", "nodes": 2, "gpusPerNode": 8, "zeroStage": 3},
                 "storage": {"pvc": {"claimName": "xlam-data", "mountPath": "/data"}},
                 "scheduling": {"queueName": "gpu-queue"},
                 "activeDeadlineSeconds": 86400, "ttlSecondsAfterFinished": 600},
    }


def get(http: httpx.Client, path: str) -> dict[str, Any] | None:
    r = http.get(path)
    return r.json() if r.status_code == 200 else None


def status_of(http: httpx.Client, path: str) -> dict[str, Any]:
    return (get(http, path) or {}).get("status") or {}


def kuberay(http: httpx.Client, name: str, **status: Any) -> None:
    """Play KubeRay: write the RayJob's status through its status subresource."""
    r = http.patch(f"{RJ}/{name}/status", headers=MERGE, json={"status": status})
    assert r.status_code == 200, r.text


def test_training_run_to_succeeded_and_finalizer_cleanup(http: httpx.Client) -> None:
    created = http.post(TR, json=training_run("mixtral-ok"))
    assert created.status_code == 201, created.text
    uid = created.json()["metadata"]["uid"]

    rayjob = wait_for(lambda: get(http, f"{RJ}/mixtral-ok"), "the RayJob")
    cm = wait_for(lambda: get(http, f"{CM}/mixtral-ok-train-config"), "the ConfigMap")
    for child in (rayjob, cm):
        (ref,) = child["metadata"]["ownerReferences"]
        assert ref["uid"] == uid and ref["kind"] == "TrainingRun" and ref["controller"] is True
        labels = child["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "xlam-operator" and labels["xlam.ai/run"] == "mixtral-ok"
    assert rayjob["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "gpu-queue"
    assert rayjob["spec"]["submissionMode"] == "K8sJobMode" and rayjob["spec"]["suspend"] is True
    assert rayjob["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["replicas"] == 2
    assert yaml.safe_load(cm["data"]["train.yaml"])["distributed"]["num_workers"] == 16
    assert all(c["image"] == IMAGE for c in rayjob["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
               ["containers"])

    # the RayJob's own event can mark the run Submitted a moment before the start handler's status
    # patch (with the sizing) lands: wait for both
    wait_for(lambda: (s := status_of(http, f"{TR}/mixtral-ok")).get("phase") == "Submitted" and "sizing" in s,
             "phase Submitted with its sizing")
    tr = get(http, f"{TR}/mixtral-ok")
    assert tr["status"]["sizing"] == {"source": "Explicit", "nodes": 2, "gpusPerNode": 8, "zeroStage": 3, "note": ""}
    assert tr["status"]["observedGeneration"] == tr["metadata"]["generation"] == 1
    assert "xlam.ai/operator-cleanup" in tr["metadata"]["finalizers"]

    kuberay(http, "mixtral-ok", jobDeploymentStatus="Initializing")
    kuberay(http, "mixtral-ok", jobStatus="RUNNING", jobDeploymentStatus="Running", rayClusterName="mixtral-ok-abcde")
    wait_for(lambda: status_of(http, f"{TR}/mixtral-ok").get("phase") == "Running", "phase Running")
    kuberay(http, "mixtral-ok", jobStatus="SUCCEEDED", jobDeploymentStatus="Complete")
    st = wait_for(lambda: (s := status_of(http, f"{TR}/mixtral-ok")).get("phase") == "Succeeded" and s,
                  "phase Succeeded")
    assert st["rayJob"]["jobStatus"] == "SUCCEEDED" and st["rayJob"]["rayClusterName"] == "mixtral-ok-abcde"
    assert st["completionTime"] and st["startTime"]
    assert {c["type"]: c["status"] for c in st["conditions"]}["Succeeded"] == "True"

    # Delete: no garbage collector runs on this server, so the children disappear only because the
    # finalizer deletes them; then kopf removes the finalizer and the object goes.
    http.delete(f"{TR}/mixtral-ok").raise_for_status()
    wait_for(lambda: get(http, f"{TR}/mixtral-ok") is None, "the TrainingRun to be gone")
    assert get(http, f"{RJ}/mixtral-ok") is None
    assert get(http, f"{CM}/mixtral-ok-train-config") is None


@pytest.mark.parametrize(("status", "reason"), [
    ({"jobStatus": "FAILED", "jobDeploymentStatus": "Running", "reason": "AppFailed", "message": "exit code 1"},
     "AppFailed"),
    ({"jobDeploymentStatus": "Failed", "reason": "DeadlineExceeded", "message": "activeDeadlineSeconds passed"},
     "DeadlineExceeded"),
])
def test_training_run_follows_rayjob_failure(http: httpx.Client, status: dict[str, Any], reason: str) -> None:
    name = f"fail-{reason.lower()}"
    http.post(TR, json=training_run(name)).raise_for_status()
    wait_for(lambda: status_of(http, f"{TR}/{name}").get("phase") == "Submitted", "phase Submitted")
    kuberay(http, name, **status)
    st = wait_for(lambda: (s := status_of(http, f"{TR}/{name}")).get("phase") == "Failed" and s, "phase Failed")
    assert st["reason"] == reason and status["message"] in st["message"]
    http.delete(f"{TR}/{name}").raise_for_status()
    wait_for(lambda: get(http, f"{RJ}/{name}") is None, "the RayJob deleted by the finalizer")


def test_cancel_deletes_the_rayjob_and_ends_cancelled(http: httpx.Client) -> None:
    http.post(TR, json=training_run("to-cancel")).raise_for_status()
    wait_for(lambda: get(http, f"{RJ}/to-cancel"), "the RayJob")
    wait_for(lambda: status_of(http, f"{TR}/to-cancel").get("phase") == "Submitted", "phase Submitted")
    http.patch(f"{TR}/to-cancel", headers=MERGE, json={"spec": {"cancel": True}}).raise_for_status()
    wait_for(lambda: get(http, f"{RJ}/to-cancel") is None, "the RayJob to be deleted")
    st = wait_for(lambda: (s := status_of(http, f"{TR}/to-cancel")).get("phase") == "Cancelled" and s, "Cancelled")
    assert "RayJob" in st["message"]  # "deleted RayJob/to-cancel, ..." or, from the DELETED event, "RayJob deleted on cancel"
    assert get(http, f"{CM}/to-cancel-train-config") is None


def test_operator_restart_mid_run_adopts_the_rayjob(http: httpx.Client, operator: OperatorProcess) -> None:
    http.post(TR, json=training_run("restarted")).raise_for_status()
    first = wait_for(lambda: get(http, f"{RJ}/restarted"), "the RayJob")
    wait_for(lambda: status_of(http, f"{TR}/restarted").get("phase") == "Submitted", "phase Submitted")
    operator.stop(signal.SIGKILL)  # a crash, not a clean shutdown
    kuberay(http, "restarted", jobStatus="RUNNING", jobDeploymentStatus="Running")  # happens while it is down
    assert status_of(http, f"{TR}/restarted")["phase"] == "Submitted"
    operator.start()
    # The resumed operator catches up from the RayJob's status, and created nothing new.
    wait_for(lambda: status_of(http, f"{TR}/restarted").get("phase") == "Running", "phase Running after restart",
             timeout=90)
    rayjobs = http.get(RJ, params={"labelSelector": "xlam.ai/run=restarted"}).json()["items"]
    assert [r["metadata"]["uid"] for r in rayjobs] == [first["metadata"]["uid"]]
    assert http.get(CM, params={"labelSelector": "xlam.ai/run=restarted"}).json()["items"].__len__() == 1


def test_conflicting_write_is_a_retryable_error(apiserver: RealApiServer, http: httpx.Client) -> None:
    """The server's 409 Conflict on a stale resourceVersion is classified as temporary by our client,
    and the kopf handlers turn temporary errors into kopf.TemporaryError (retried with backoff)."""
    import kopf

    from operators.handlers import _translate
    from platform_contracts.k8s.kube import KubeError

    http.post(TR, json=training_run("conflict")).raise_for_status()
    stale = get(http, f"{TR}/conflict")["metadata"]["resourceVersion"]
    http.patch(f"{TR}/conflict", headers=MERGE, json={"metadata": {"labels": {"bump": "1"}}}).raise_for_status()
    kube = apiserver.kube()
    with pytest.raises(KubeError) as err:
        kube.patch("TrainingRun", NS, "conflict", {"metadata": {"resourceVersion": stale, "labels": {"x": "y"}}})
    assert err.value.status == 409 and err.value.retryable

    @_translate
    def handler(**_: Any) -> None:
        kube.patch("TrainingRun", NS, "conflict", {"metadata": {"resourceVersion": stale}})

    with pytest.raises(kopf.TemporaryError):
        handler()
    http.delete(f"{TR}/conflict").raise_for_status()


def test_evaluation_run_becomes_a_job_and_follows_it(http: httpx.Client) -> None:
    er = yaml.safe_load((ROOT / "examples" / "k8s" / "evaluationrun.yaml").read_text())
    uid = http.post(ER, json=er).raise_for_status().json()["metadata"]["uid"]
    name = er["metadata"]["name"]
    job = wait_for(lambda: get(http, f"{JOB}/{name}-eval"), "the evaluation Job")
    assert job["metadata"]["ownerReferences"][0]["uid"] == uid
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE
    # the server defaulted the Job (a real batch/v1 object)
    assert job["spec"]["completions"] == 1 and job["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"

    def phase() -> str | None:
        return status_of(http, f"{ER}/{name}").get("phase")

    wait_for(lambda: phase() == "Submitted", "phase Submitted")
    # Play the Job controller.
    http.patch(f"{JOB}/{name}-eval/status", headers=MERGE, json={"status": {"active": 1}}).raise_for_status()
    wait_for(lambda: phase() == "Running", "phase Running")
    http.patch(f"{JOB}/{name}-eval/status", headers=MERGE, json={"status": {
        "active": 0, "succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}).raise_for_status()
    wait_for(lambda: phase() == "Succeeded", "phase Succeeded")
    assert status_of(http, f"{ER}/{name}")["job"] == {"name": f"{name}-eval", "active": 0, "succeeded": 1, "failed": 0}
    http.delete(f"{ER}/{name}").raise_for_status()
    wait_for(lambda: get(http, f"{ER}/{name}") is None, "the EvaluationRun to be gone")
    assert get(http, f"{JOB}/{name}-eval") is None


def test_evaluation_job_failure(http: httpx.Client) -> None:
    er = yaml.safe_load((ROOT / "examples" / "k8s" / "evaluationrun.yaml").read_text())
    er["metadata"]["name"] = name = "bfcl-fails"
    http.post(ER, json=er).raise_for_status()
    wait_for(lambda: get(http, f"{JOB}/{name}-eval"), "the evaluation Job")
    http.patch(f"{JOB}/{name}-eval/status", headers=MERGE, json={"status": {"failed": 1, "conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
         "message": "Job has reached the specified backoff limit"}]}}).raise_for_status()
    st = wait_for(lambda: (s := status_of(http, f"{ER}/{name}")).get("phase") == "Failed" and s, "phase Failed")
    assert st["reason"] == "BackoffLimitExceeded" and "backoff limit" in st["message"]
    http.delete(f"{ER}/{name}").raise_for_status()


def test_synthesis_run_creates_one_kfp_run_and_terminates_it_on_delete(http: httpx.Client,
                                                                        kfp_server: KfpHttpServer) -> None:
    sr = yaml.safe_load((ROOT / "examples" / "k8s" / "synthesisrun.yaml").read_text())
    sr["spec"]["parameters"]["num_batches"] = 2
    http.post(SR, json=sr).raise_for_status()
    name = sr["metadata"]["name"]
    wait_for(lambda: (status_of(http, f"{SR}/{name}").get("kfpRun") or {}).get("id"), "the KFP run id in status")
    (run,) = kfp_server.state.runs.values()
    st = status_of(http, f"{SR}/{name}")
    assert st["kfpRun"]["id"] == run["run_id"] and st["phase"] == "Submitted"
    assert run["runtime_config"]["parameters"]["num_batches"] == 2
    assert run["pipeline_version_reference"] == {"pipeline_id": "pipe-1", "pipeline_version_id": "ver-2"}
    http.delete(f"{SR}/{name}").raise_for_status()
    wait_for(lambda: get(http, f"{SR}/{name}") is None, "the SynthesisRun to be gone")
    assert run["state"] == "CANCELING"  # the finalizer terminated the unfinished KFP run
    assert len(kfp_server.state.runs) == 1


# ----------------------------------------------------------------- the control plane's kubernetes backend
@pytest.fixture(scope="module")
def worker_kube(apiserver: RealApiServer, xlam_installed: dict[str, Any]) -> Any:
    """``platform_contracts.k8s.kube.KubeApi`` as the worker's ServiceAccount (the backend runs in the worker)."""
    return apiserver.kube(apiserver.sa_token(NS, "xlam-worker"))


@pytest.fixture(scope="module")
def kubelet(admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeletStandIn]:
    stand_in = KubeletStandIn(tmp_path_factory.mktemp("kubelet"))
    stand_in.register_node(admin, "node-1")
    yield stand_in
    stand_in.stop()


def _ctx(run_id: str, attempt: int, tmp_path: Path, **spec: Any) -> Any:
    from platform_contracts.runspecs import parse_spec
    from services.backends.base import RunContext

    return RunContext(run_id=run_id, project_id="proj", kind="training",
                      spec=parse_spec("training", {"model_name": "xlam-tiny", "config": {
                          "model": {"recipe": "tiny"}, "method": "sft", "optim": {"max_steps": 5},
                          "data": {"datasets": ["s3://bucket/mix"]}}, **spec}),
                      attempt=attempt, claim=1, work_dir=tmp_path, artifact_root="s3://bucket/artifacts")


def test_kubernetes_backend_with_the_operator(http: httpx.Client, worker_kube: Any, kubelet: KubeletStandIn,
                                              tmp_path: Path) -> None:
    from platform_contracts.k8s.runs import K8sRunSettings
    from services.backends.kubernetes import KubernetesBackend

    backend = KubernetesBackend(api=worker_kube, settings=K8sRunSettings(
        namespace=NS, storage_uri="s3://bucket", nodes=1, gpus_per_node=0))
    ctx = _ctx("run_01JTRAIN", 1, tmp_path)
    ref = backend.submit(ctx)
    assert backend.submit(ctx) == ref  # idempotent: the same resource is adopted
    name = ref.rsplit("/", 1)[1]
    assert name == "run-01jtrain-a1"
    rayjob = wait_for(lambda: get(http, f"{RJ}/{name}"), "the operator to create the RayJob")
    tr = wait_for(lambda: (o := get(http, f"{TR}/{name}")) and (o.get("status") or {}).get("controlPlane") and o,
                  "status.controlPlane")
    assert tr["spec"]["controlPlaneRunId"] == "run_01JTRAIN" and tr["status"]["controlPlane"]["runId"] == "run_01JTRAIN"
    assert rayjob["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["groupName"] == "cpu-workers"
    assert backend.status(ref).phase == "pending"
    kuberay(http, name, jobStatus="RUNNING", jobDeploymentStatus="Running")
    wait_for(lambda: backend.status(ref).phase == "running", "backend status running")

    # Logs: the run's submitter pod (KubeRay would create it) on a node whose kubelet is the stand-in;
    # the backend lists pods and reads pods/log through the real server, as the worker.
    pod = {"metadata": {"name": f"{name}-submitter-x", "labels": {
        "xlam.ai/run": name, "app.kubernetes.io/component": "ray-submitter"}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "ray-job-submitter", "image": IMAGE}]}}
    http.post(f"/api/v1/namespaces/{NS}/pods", json=pod).raise_for_status()
    key = (NS, f"{name}-submitter-x", "ray-job-submitter")
    kubelet.logs[key] = ["2026-11-26T10:00:00Z step 1 loss 2.0", "2026-11-26T10:00:01Z step 2 loss 1.5"]
    assert backend.logs(ref) == [f"[{name}-submitter-x] step 1 loss 2.0", f"[{name}-submitter-x] step 2 loss 1.5"]
    assert backend.logs(ref) == []
    kubelet.logs[key].append("2026-11-26T10:00:02Z done")
    assert backend.logs(ref) == [f"[{name}-submitter-x] done"]
    assert any("sinceTime=2026-11-26T10" in r and "timestamps=true" in r for r in kubelet.requests)

    kuberay(http, name, jobStatus="SUCCEEDED", jobDeploymentStatus="Complete")
    final = wait_for(lambda: (st := backend.status(ref)).terminal and st, "backend status succeeded")
    assert final.phase == "succeeded"
    (model,) = final.outputs.models
    assert model.name == "xlam-tiny" and model.artifact_uri == f"s3://bucket/runs/{NS}/{name}"

    # cancel through the backend
    ref2 = backend.submit(_ctx("run_01JCANCEL", 2, tmp_path))
    wait_for(lambda: get(http, f"{RJ}/run-01jcancel-a2"), "the second RayJob")
    backend.cancel(ref2)
    wait_for(lambda: backend.status(ref2).phase == "cancelled", "backend status cancelled")
    assert get(http, f"{RJ}/run-01jcancel-a2") is None


def test_backend_rejects_invalid_runs_before_the_cluster(http: httpx.Client, worker_kube: Any, tmp_path: Path) -> None:
    from platform_contracts.k8s.runs import K8sRunSettings
    from platform_contracts.runspecs import parse_spec
    from services.backends.base import RunContext
    from services.backends.kubernetes import KubernetesBackend

    # An unknown recipe cannot even become a run spec (the backends receive validated models) ...
    with pytest.raises(ValueError, match="recipe"):
        parse_spec("training", {"model_name": "m", "config": {"model": {"recipe": "gpt-9"}, "data": {"datasets": ["s3://b/x"]}}})
    # ... and what the CRD refuses (here the storage URI's scheme) is refused before the cluster sees it.
    backend = KubernetesBackend(api=worker_kube, settings=K8sRunSettings(namespace=NS, storage_uri="ftp://b"))
    ctx = RunContext(run_id="run_bad", project_id="p", kind="training", spec=parse_spec("training", {
        "model_name": "m", "config": {"model": {"recipe": "tiny"}, "data": {"datasets": ["s3://b/x"]}}}),
                     attempt=1, claim=1, work_dir=tmp_path, artifact_root="s3://b")
    with pytest.raises(ValueError, match="invalid TrainingRun"):
        backend.submit(ctx)
    assert get(http, f"{TR}/run-bad-a1") is None


def test_backend_adopts_a_kubectl_created_run(http: httpx.Client, worker_kube: Any, tmp_path: Path) -> None:
    """A TrainingRun applied with kubectl and registered by the operator (label xlam.ai/run-id) is
    adopted by the worker's backend on the first attempt instead of a second resource being created."""
    from platform_contracts.k8s.runs import K8sRunSettings
    from services.backends.kubernetes import KubernetesBackend

    cr = training_run("kubectl-made")
    cr["metadata"]["labels"] = {"xlam.ai/run-id": "run_01JKUBECTL"}
    http.post(TR, json=cr).raise_for_status()
    backend = KubernetesBackend(api=worker_kube, settings=K8sRunSettings(namespace=NS, storage_uri="s3://b"))
    ctx = _ctx("run_01JKUBECTL", 1, tmp_path)
    assert backend.submit(ctx) == f"k8s:{NS}/TrainingRun/kubectl-made"
    assert get(http, f"{TR}/run-01jkubectl-a1") is None
    ctx.attempt = 2  # a retry gets its own resource
    assert backend.submit(ctx) == f"k8s:{NS}/TrainingRun/run-01jkubectl-a2"
    wait_for(lambda: get(http, f"{RJ}/run-01jkubectl-a2"), "the retry's RayJob")


def test_backend_outside_its_namespace_is_forbidden(worker_kube: Any, namespace: str, tmp_path: Path) -> None:
    """The worker's Role is bound in `xlam` only: elsewhere the server answers 403, not retried."""
    from platform_contracts.k8s.kube import KubeError
    from platform_contracts.k8s.runs import K8sRunSettings
    from services.backends.kubernetes import KubernetesBackend

    backend = KubernetesBackend(api=worker_kube, settings=K8sRunSettings(namespace=namespace, storage_uri="s3://b"))
    with pytest.raises(KubeError) as err:
        backend.submit(_ctx("run_01JELSEWHERE", 1, tmp_path))
    assert err.value.status == 403 and not err.value.retryable
    assert "system:serviceaccount:xlam:xlam-worker" in str(err.value)


def test_rayjob_launcher_creates_a_training_run_and_follows_its_phase(http: httpx.Client, worker_kube: Any,
                                                                      tmp_path: Path) -> None:
    """The pipeline's ``rayjob`` launcher (a TrainingRun through the shared Kubernetes contract), with the
    operator running."""
    from pipelines.launchers import get_launcher
    from pipelines.rayjob_launcher import RayJobLauncher
    from platform_contracts.k8s.runs import K8sRunSettings, KubeRuns

    assert isinstance(get_launcher("rayjob"), RayJobLauncher)  # registered in pipelines.launchers
    backend = KubeRuns(api=worker_kube, settings=K8sRunSettings(
        namespace=NS, storage_uri="s3://bucket", nodes=1, gpus_per_node=0))
    launcher = RayJobLauncher(backend, project="p")
    cfg = {"name": "tiny-moe-sft", "method": "sft", "model": {"recipe": "tiny-moe"},
           "data": {"datasets": ["s3://bucket/mix"]}, "optim": {"max_steps": 5}}
    job = launcher.launch(cfg, str(tmp_path / "sft"))
    assert launcher.launch(cfg, str(tmp_path / "sft")) == job  # idempotent: same resource adopted
    name = job.rsplit("/", 1)[1]
    tr = get(http, f"{TR}/{name}")
    assert tr is not None and tr["spec"]["recipe"] == "tiny-moe" and tr["spec"]["method"] == "sft"
    wait_for(lambda: get(http, f"{RJ}/{name}"), "the RayJob")
    wait_for(lambda: launcher.state(job).state == "pending" and status_of(http, f"{TR}/{name}").get("phase"),
             "phase Submitted")
    kuberay(http, name, jobStatus="RUNNING", jobDeploymentStatus="Running")
    wait_for(lambda: launcher.state(job).state == "running", "launcher state running")
    kuberay(http, name, jobStatus="SUCCEEDED", jobDeploymentStatus="Complete")
    final = wait_for(lambda: (st := launcher.state(job)).state == "succeeded" and st, "launcher state succeeded")
    assert final.result["hf_export_dir"].startswith(f"s3://bucket/runs/{NS}/{name}")
    launcher.cancel(job)  # cancelling a finished run is harmless
    assert status_of(http, f"{TR}/{name}")["phase"] == "Succeeded"


def test_the_operator_was_never_forbidden_nor_failed(operator: OperatorProcess) -> None:
    """Runs last in this module: the whole job above was done on the ServiceAccount's RBAC alone."""
    log = operator.log_path.read_text()
    assert operator.starts == 2  # the restart test restarted it once
    # an HTTP 403 as kubernetes/httpx/kopf report it, not any "403" (timestamps and ids contain it)
    for bad in ("Forbidden", r'HTTP/1\.[01]" 403', r"\(403\)", r"status[ =:]+403", "Traceback", "PermanentError",
                "Unprocessable"):
        match = re.search(bad, log)
        assert match is None, f"{bad!r} in the operator log: ...{log[max(0, match.start() - 2000):match.end() + 500]}"
