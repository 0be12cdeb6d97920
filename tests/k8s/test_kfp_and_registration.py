"""SynthesisRun -> KFP run through the REST v2beta1 client (exactly once), and control-plane
registration of kubectl-created runs (idempotent by uid). The KFP server here is an in-process
httpx transport that keeps state like the API server (runs, experiments, pipelines)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from operators import actions
from operators.control_plane import ControlPlaneClient, ControlPlaneError, idempotency_key
from operators.kfp_client import KfpClient, KfpError


class KfpState:
    def __init__(self) -> None:
        self.pipelines = {"xlam-synthesis": {"pipeline_id": "pipe-1",
                                             "versions": [{"pipeline_version_id": "ver-2"}]}}
        self.experiments: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path.removeprefix("/apis/v2beta1"), request.method
        self.calls.append(f"{method} {path}")
        params = dict(request.url.params)
        flt = json.loads(params.get("filter", "{}")).get("predicates", [{}])[0].get("string_value")
        if method == "GET" and path.startswith("/pipelines/names/"):
            p = self.pipelines.get(path.rsplit("/", 1)[1])
            return httpx.Response(200, json={"pipeline_id": p["pipeline_id"]}) if p else httpx.Response(404, json={})
        if method == "GET" and path.endswith("/versions"):
            pid = path.split("/")[2]
            for p in self.pipelines.values():
                if p["pipeline_id"] == pid:
                    return httpx.Response(200, json={"pipeline_versions": p["versions"]})
            return httpx.Response(404, json={})
        if path == "/experiments":
            if method == "POST":
                exp = {"experiment_id": str(uuid.uuid4()), "display_name": json.loads(request.content)["display_name"]}
                self.experiments[exp["experiment_id"]] = exp
                return httpx.Response(200, json=exp)
            return httpx.Response(200, json={"experiments": [e for e in self.experiments.values()
                                                             if e["display_name"] == flt]})
        if path == "/runs":
            if method == "POST":
                body = json.loads(request.content)
                run = {**body, "run_id": str(uuid.uuid4()), "state": "PENDING"}
                self.runs[run["run_id"]] = run
                return httpx.Response(200, json=run)
            return httpx.Response(200, json={"runs": [r for r in self.runs.values() if r["display_name"] == flt]})
        if path.startswith("/runs/"):
            rid = path.split("/")[2].split(":")[0]
            if rid not in self.runs:
                return httpx.Response(404, json={"error": "not found"})
            if path.endswith(":terminate"):
                self.runs[rid]["state"] = "CANCELING"
                return httpx.Response(200, json={})
            return httpx.Response(200, json=self.runs[rid])
        return httpx.Response(500, json={"error": f"unexpected {method} {path}"})


def synthesis_cr(status: dict | None = None) -> dict[str, Any]:
    return {"apiVersion": "xlam.ai/v1alpha1", "kind": "SynthesisRun",
            "metadata": {"name": "syn", "namespace": "xlam", "uid": "abcdef12-3456", "generation": 1},
            "spec": {"type": "Synthesis", "pipeline": {"name": "xlam-synthesis"}, "experiment": "exp",
                     "parameters": {"num_batches": 2}, "storage": {"uri": "s3://bucket"}},
            "status": status or {}}


@pytest.fixture
def kfp() -> tuple[KfpClient, KfpState]:
    state = KfpState()
    client = httpx.Client(base_url="http://kfp.test", transport=httpx.MockTransport(state.handler))
    return KfpClient("http://kfp.test", client=client), state


def test_synthesis_run_created_once(kfp: tuple[KfpClient, KfpState]) -> None:
    client, state = kfp
    patch = actions.start_synthesis(client, synthesis_cr())
    assert patch["phase"] == "Submitted" and patch["kfpRun"]["id"] in state.runs
    (run,) = state.runs.values()
    assert run["pipeline_version_reference"] == {"pipeline_id": "pipe-1", "pipeline_version_id": "ver-2"}
    assert run["runtime_config"]["parameters"] == {"num_batches": 2}
    # The operator crashed before writing status: the retry finds the run by its display name.
    again = actions.start_synthesis(client, synthesis_cr())
    assert len(state.runs) == 1 and again["kfpRun"]["id"] == patch["kfpRun"]["id"]
    assert len(state.experiments) == 1
    # With the run id in status nothing is called at all.
    n = len(state.calls)
    assert actions.start_synthesis(client, synthesis_cr({"kfpRun": {"id": run["run_id"]}})) == {}
    assert len(state.calls) == n


def test_synthesis_follow_and_cancel(kfp: tuple[KfpClient, KfpState]) -> None:
    client, state = kfp
    cr = synthesis_cr()
    cr["status"] = actions.start_synthesis(client, cr)
    run_id = cr["status"]["kfpRun"]["id"]
    state.runs[run_id]["state"] = "RUNNING"
    patch = actions.sync_synthesis(client, cr)
    assert patch["phase"] == "Running" and patch["kfpRun"]["state"] == "RUNNING"
    cr["status"].update(patch)
    cr["spec"]["cancel"] = True
    assert actions.cancel(None, client, cr)["phase"] == "Cancelling"  # type: ignore[arg-type]
    assert state.runs[run_id]["state"] == "CANCELING"
    state.runs[run_id]["state"] = "CANCELED"
    assert actions.sync_synthesis(client, cr)["phase"] == "Cancelled"


def test_missing_pipeline_is_permanent(kfp: tuple[KfpClient, KfpState]) -> None:
    client, _ = kfp
    cr = synthesis_cr()
    cr["spec"]["pipeline"]["name"] = "not-uploaded"
    with pytest.raises(KfpError) as err:
        actions.start_synthesis(client, cr)
    assert not err.value.retryable and "not uploaded" in str(err.value)


def test_unreachable_kfp_is_temporary() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    client = KfpClient("http://kfp.test", client=httpx.Client(base_url="http://kfp.test",
                                                               transport=httpx.MockTransport(boom)))
    with pytest.raises(KfpError) as err:
        actions.start_synthesis(client, synthesis_cr())
    assert err.value.retryable


def test_registration_is_idempotent_by_uid() -> None:
    seen: dict[str, str] = {}
    requests: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        key = request.headers["Idempotency-Key"]
        seen.setdefault(key, f"run_{len(seen) + 1}")
        return httpx.Response(201 if len(requests) == 1 else 200, json={"id": seen[key], "state": "queued"})

    cp = ControlPlaneClient("http://api.test", project="proj1", client=httpx.Client(
        base_url="http://api.test", transport=httpx.MockTransport(api)))
    cr = synthesis_cr()
    assert actions.register(cr, cp) == {"controlPlane": {"runId": "run_1"}}
    assert actions.register(cr, cp) == {"controlPlane": {"runId": "run_1"}}
    assert list(seen) == [idempotency_key("abcdef12-3456")]
    assert requests[0].url.path == "/v1/projects/proj1/runs"
    body = json.loads(requests[0].content)
    assert body["kind"] == "synthesis" and body["backend"] == "kubernetes"
    assert body["name"] == "k8s/xlam/SynthesisRun/syn"
    cr["status"] = {"controlPlane": {"runId": "run_1"}}
    assert actions.register(cr, cp) == {}  # already registered: no call
    assert len(requests) == 2
    # Created by the control plane itself: the run id comes from the spec, nothing is registered.
    cr2 = synthesis_cr()
    cr2["spec"]["controlPlaneRunId"] = "run_9"
    assert actions.register(cr2, cp) == {"controlPlane": {"runId": "run_9"}} and len(requests) == 2


@pytest.mark.parametrize("name", ["trainingrun-xlam-8x7b.yaml", "synthesisrun.yaml", "evaluationrun.yaml"])
def test_registration_specs_validate_in_the_control_plane(name: str) -> None:
    """The spec the operator registers passes the control plane's own submit-time validation."""
    import yaml

    from operators.control_plane import control_plane_spec, run_kind
    from platform_contracts.k8s.crd_schemas import ROOT
    from platform_contracts.runspecs import validate_spec

    cr = yaml.safe_load((ROOT / "examples" / "k8s" / name).read_text())
    cr["metadata"]["uid"] = "u-1"
    validate_spec(run_kind(cr), control_plane_spec(cr))


def test_data_pipeline_registration_spec() -> None:
    from operators.control_plane import control_plane_spec, run_kind
    from platform_contracts.runspecs import validate_spec

    cr = synthesis_cr()
    cr["spec"].update(type="DataPipeline", pipeline={"name": "xlam-data"},
                      parameters={"sources": [{"source": "bfcl", "inputs": ["bfcl://simple_python"]}]})
    assert run_kind(cr) == "data-pipeline"
    spec = control_plane_spec(cr)
    assert spec["inputs"] == ["bfcl://simple_python"]
    validate_spec("data-pipeline", spec)


def test_registration_errors() -> None:
    cp = ControlPlaneClient("http://api.test", client=httpx.Client(
        base_url="http://api.test", transport=httpx.MockTransport(lambda r: httpx.Response(503, text="busy"))))
    with pytest.raises(ControlPlaneError) as err:
        actions.register(synthesis_cr(), cp)
    assert err.value.retryable
    cp = ControlPlaneClient("http://api.test", client=httpx.Client(
        base_url="http://api.test", transport=httpx.MockTransport(lambda r: httpx.Response(422, text="bad"))))
    assert actions.register(synthesis_cr(), cp) == {}  # refused: logged, the run still proceeds
