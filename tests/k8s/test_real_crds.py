"""Our CRDs and the vendored KubeRay CRDs on a real kube-apiserver (v1.20.2): installation,
server-side defaulting, structural-schema validation (422 naming the field), pruning, the status
subresource, and the RayJobs/ConfigMaps/Jobs our operator builds admitted by the server itself."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import yaml

from operators import reconcile
from operators.settings import OperatorSettings
from platform_contracts.k8s.crd_schemas import ROOT, openapi_schema
from platform_contracts.k8s.validation import apply_defaults, validate
from tests.k8s.realserver import MERGE

pytestmark = pytest.mark.apiserver

SETTINGS = OperatorSettings(image="registry.test/xlam:1.2.3")
JOB_FIELDS_NEWER_THAN_1_20 = ["spec.suspend", "spec.ttlSecondsAfterFinished"]
PLURAL = {"TrainingRun": "trainingruns", "SynthesisRun": "synthesisruns", "EvaluationRun": "evaluationruns"}


def example(kind: str) -> dict[str, Any]:
    for path in sorted((ROOT / "examples" / "k8s").glob("*.yaml")):
        obj = yaml.safe_load(path.read_text())
        if obj["kind"] == kind:
            obj["metadata"].pop("namespace", None)
            return obj
    raise AssertionError(kind)


def cr_path(ns: str, kind: str, name: str = "") -> str:
    return f"/apis/xlam.ai/v1alpha1/namespaces/{ns}/{PLURAL[kind]}" + (f"/{name}" if name else "")


def test_our_crds_are_established_as_written(xlam_crds: list[dict]) -> None:
    assert sorted(c["metadata"]["name"] for c in xlam_crds) == [
        "evaluationruns.xlam.ai", "synthesisruns.xlam.ai", "trainingruns.xlam.ai"]
    for crd in xlam_crds:
        (version,) = crd["spec"]["versions"]
        assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
        assert version["subresources"] == {"status": {}}
        assert version["additionalPrinterColumns"][0]["name"] == "Phase"
        assert crd["status"]["acceptedNames"]["kind"] in PLURAL
        conds = {c["type"]: c for c in crd["status"]["conditions"]}
        assert conds.get("NonStructuralSchema", {}).get("status", "False") == "False"
        kind = crd["status"]["acceptedNames"]["kind"]
        spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        if "config" in spec:  # the generated TrainConfig / EvalConfig schema, stored as we wrote it
            assert spec["config"] == openapi_schema(kind)["properties"]["spec"]["properties"]["config"]


@pytest.mark.parametrize("kind", sorted(PLURAL))
def test_valid_resources_are_stored_with_the_schema_defaults(admin: httpx.Client, namespace: str, kind: str) -> None:
    obj = example(kind)
    obj["spec"].pop("ttlSecondsAfterFinished", None)  # left to the schema default
    r = admin.post(cr_path(namespace, kind), json=obj)
    assert r.status_code == 201, r.text
    stored = r.json()
    # The server's defaulting equals our offline defaulting (used by the backend before submitting).
    assert stored["spec"] == apply_defaults(openapi_schema(kind), copy.deepcopy(obj))["spec"]
    assert stored["spec"]["cancel"] is False and set(stored["spec"]) > set(obj["spec"])
    if kind != "SynthesisRun":
        assert stored["spec"]["ttlSecondsAfterFinished"] == 3600
    if kind == "TrainingRun":
        assert stored["spec"]["rayVersion"] and stored["spec"]["resources"]["sizing"] == "Planner"
    assert stored["metadata"]["generation"] == 1 and "status" not in stored


INVALID = [
    ("TrainingRun", {"recipe": "gpt-5"}, "spec.recipe"),
    ("TrainingRun", {"method": "ppo"}, "spec.method"),
    ("TrainingRun", {"backoffLimit": -1}, "spec.backoffLimit"),
    ("TrainingRun", {"activeDeadlineSeconds": 5}, "spec.activeDeadlineSeconds"),
    ("TrainingRun", {"resources": {"nodes": 0}}, "spec.resources.nodes"),
    ("TrainingRun", {"resources": {"gpusPerNode": 17}}, "spec.resources.gpusPerNode"),
    ("TrainingRun", {"resources": {"zeroStage": 4}}, "spec.resources.zeroStage"),
    ("TrainingRun", {"scheduling": {"tolerations": [{"operator": "Sometimes"}]}},
     "spec.scheduling.tolerations.operator"),  # 1.20 names list items without their index
    ("TrainingRun", {"storage": {"uri": "ftp://nope"}}, "spec.storage.uri"),
    ("TrainingRun", {"recipe": None}, "spec.recipe"),  # required
    ("EvaluationRun", {"storage": None}, "spec.storage"),  # required
    ("EvaluationRun", {"limit": "ten"}, "spec.limit"),
    # spec.config is the core's TrainConfig / EvalConfig (schema generated from the pydantic models)
    ("TrainingRun", {"config": {"optim": {"lr": "fast"}}}, "spec.config.optim.lr"),
    ("TrainingRun", {"config": {"optim": {"lr": 0}}}, "spec.config.optim.lr"),  # gt=0: exclusiveMinimum
    ("TrainingRun", {"config": {"distributed": {"launcher": "bogus"}}}, "spec.config.distributed.launcher"),
    ("TrainingRun", {"config": {"model": {"recipe": "gpt-5"}}}, "spec.config.model.recipe"),
    ("TrainingRun", {"config": {"data": {"datasets": "s3://one"}}}, "spec.config.data.datasets"),
    ("EvaluationRun", {"config": {"generator": {"backend": "vllm"}}}, "spec.config.generator.backend"),
    ("EvaluationRun", {"config": {"generator": {"endpoint": "-bad"}}}, "spec.config.generator.endpoint"),
    ("SynthesisRun", {"type": "Magic"}, "spec.type"),
    ("SynthesisRun", {"pipeline": None}, "spec.pipeline"),  # required
]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    return {**base, **{k: _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
                       for k, v in over.items()}}


@pytest.mark.parametrize(("kind", "patch", "field"), INVALID, ids=[f"{k}-{f}" for k, _, f in INVALID])
def test_invalid_resources_are_rejected_by_the_server(admin: httpx.Client, namespace: str, kind: str,
                                                      patch: dict, field: str) -> None:
    obj = example(kind)
    for k, v in patch.items():
        if v is None:
            obj["spec"].pop(k, None)
        elif isinstance(v, dict) and isinstance(obj["spec"].get(k), dict):
            obj["spec"][k] = _merge(obj["spec"][k], v)
        else:
            obj["spec"][k] = v
    r = admin.post(cr_path(namespace, kind), json=obj)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["reason"] == "Invalid" and field in body["message"], body["message"]
    assert field in [c.get("field") for c in body["details"]["causes"]], body["details"]
    assert validate(openapi_schema(kind), obj), "our offline validation must reject it too"
    assert admin.get(cr_path(namespace, kind, obj["metadata"]["name"])).status_code == 404


def test_unknown_fields_are_pruned_and_free_form_fields_kept(admin: httpx.Client, namespace: str) -> None:
    obj = example("TrainingRun")
    obj["spec"]["surprise"] = {"a": 1}
    obj["spec"]["resources"]["turbo"] = True
    obj["spec"]["scheduling"]["nodeSelector"] = {"pool": "h100"}  # a map: kept
    obj["spec"]["config"]["optim"]["max_steps"] = 7  # a TrainConfig field: kept as written
    obj["spec"]["config"]["custom_key"] = {"nested": [1, 2]}  # not a TrainConfig field: pruned
    obj["spec"]["config"]["model"] = {"arch_overrides": {"num_hidden_layers": 2, "rope": {"theta": 1e6}}}  # dict[str, Any]
    obj["spec"]["deepspeed"]["anything"] = {"nested": [1, 2]}  # free-form: kept
    obj["status"] = {"phase": "Succeeded"}  # the status subresource: ignored on create
    stored = admin.post(cr_path(namespace, "TrainingRun"), json=obj).raise_for_status().json()
    got = admin.get(cr_path(namespace, "TrainingRun", obj["metadata"]["name"])).json()
    for o in (stored, got):
        assert "surprise" not in o["spec"] and "turbo" not in o["spec"]["resources"]
        assert o["spec"]["scheduling"]["nodeSelector"] == {"pool": "h100"}
        assert "custom_key" not in o["spec"]["config"] and o["spec"]["config"]["optim"]["max_steps"] == 7
        assert o["spec"]["config"]["model"]["arch_overrides"] == {"num_hidden_layers": 2, "rope": {"theta": 1e6}}
        assert o["spec"]["deepspeed"]["anything"] == {"nested": [1, 2]}
        assert "status" not in o


def test_a_stored_runs_full_config_is_admitted_as_written(admin: httpx.Client, namespace: str) -> None:
    """Every field of a TrainConfig / EvalConfig dump (nulls, tuples, maps included) passes the
    generated schema and is stored unchanged: no API-server defaults are added to spec.config."""
    from xlam.evaluation import EvalConfig
    from xlam.training import TrainConfig

    full = {"TrainingRun": TrainConfig.model_validate({"data": {"datasets": ["s3://b/d"]}}),
            "EvaluationRun": EvalConfig.model_validate({"generator": {"backend": "openai", "endpoint": "serve-1"}})}
    for kind, config in full.items():
        obj = example(kind)
        obj["spec"]["config"] = config.model_dump(mode="json")
        r = admin.post(cr_path(namespace, kind), json=obj)
        assert r.status_code == 201, r.text
        assert r.json()["spec"]["config"] == obj["spec"]["config"]
        obj["metadata"]["name"] += "-sparse"
        obj["spec"]["config"] = {"optim": {"lr": 1e-4}} if kind == "TrainingRun" else {"limit": 2}
        r = admin.post(cr_path(namespace, kind), json=obj)
        assert r.status_code == 201, r.text
        assert r.json()["spec"]["config"] == obj["spec"]["config"]


def test_empty_strings_are_strings(admin: httpx.Client, namespace: str) -> None:
    """An empty string is a valid string (the server build needs a Go 1.19 fix for this: docs/KUBERNETES.md)."""
    obj = example("EvaluationRun")
    obj["spec"]["storage"]["pvc"]["subPath"] = ""
    r = admin.post(cr_path(namespace, "EvaluationRun"), json=obj)
    assert r.status_code == 201, r.text
    assert r.json()["spec"]["storage"]["pvc"]["subPath"] == ""
    r = admin.patch(cr_path(namespace, "EvaluationRun", obj["metadata"]["name"]) + "/status", headers=MERGE,
                    json={"status": {"phase": "Queued", "message": ""}})
    assert r.status_code == 200, r.text
    assert r.json()["status"]["message"] == ""


def test_status_subresource_semantics(admin: httpx.Client, namespace: str) -> None:
    obj = example("EvaluationRun")
    path = cr_path(namespace, "EvaluationRun", obj["metadata"]["name"])
    admin.post(cr_path(namespace, "EvaluationRun"), json=obj).raise_for_status()
    # status through /status: stored, generation unchanged
    r = admin.patch(f"{path}/status", headers=MERGE, json={"status": {"phase": "Running", "metrics": {"acc": 0.5}}})
    assert r.status_code == 200, r.text
    assert r.json()["status"]["phase"] == "Running" and r.json()["metadata"]["generation"] == 1
    # an invalid status is rejected (the status schema is enforced too)
    r = admin.patch(f"{path}/status", headers=MERGE, json={"status": {"phase": "Exploded"}})
    assert r.status_code == 422 and "status.phase" in r.json()["message"]
    # status through the main resource: ignored; spec changes bump generation
    r = admin.patch(path, headers=MERGE, json={"status": {"phase": "Failed"}, "spec": {"limit": 3}})
    assert r.status_code == 200
    assert r.json()["status"]["phase"] == "Running" and r.json()["metadata"]["generation"] == 2
    # an optimistic-concurrency conflict: a stale resourceVersion is refused with 409
    stale = r.json()["metadata"]["resourceVersion"]
    admin.patch(path, headers=MERGE, json={"metadata": {"labels": {"x": "1"}}}).raise_for_status()
    r = admin.patch(path, headers=MERGE, json={"metadata": {"resourceVersion": stale, "labels": {"x": "2"}}})
    assert r.status_code == 409 and r.json()["reason"] == "Conflict"


def test_cel_rules_are_a_1_20_gap(admin: httpx.Client, namespace: str, xlam_crds: list[dict]) -> None:
    """CRD CEL rules (x-kubernetes-validations) need Kubernetes >= 1.25: the 1.20 server drops them
    from the stored CRD and admits what they forbid. That is why the backend validates offline
    (schema + CEL with cel-python, test_crds.py) before it creates anything."""
    stored = yaml.safe_dump(xlam_crds)
    assert "x-kubernetes-validations" not in stored
    assert "x-kubernetes-validations" in (ROOT / "manifests" / "base" / "crds" / "trainingruns.xlam.ai.yaml").read_text()
    obj = example("TrainingRun")
    obj["spec"]["storage"]["pvc"] = {"claimName": "data"}  # both pvc and uri: CEL says no
    assert any("exactly one of storage.pvc or storage.uri" in e for e in validate(openapi_schema("TrainingRun"), obj))
    assert admin.post(cr_path(namespace, "TrainingRun"), json=obj).status_code == 201


# ---------------------------------------------------------------- KubeRay CRDs and what the operator builds
def test_kuberay_crds_install(kuberay_installed: list[dict]) -> None:
    by_name = {c["metadata"]["name"]: c for c in kuberay_installed}
    assert set(by_name) == {"rayjobs.ray.io", "rayclusters.ray.io"}
    versions = {v["name"]: v for v in by_name["rayjobs.ray.io"]["spec"]["versions"]}
    assert versions["v1"]["served"] and versions["v1"]["storage"]


def _owned_training_run(admin: httpx.Client, namespace: str, nodes: int, gpus: int, zero: int,
                        sizing: str = "Explicit") -> dict[str, Any]:
    obj = example("TrainingRun")
    obj["metadata"]["name"] = f"tr-{nodes}x{gpus}-z{zero}-{sizing.lower()}"
    if sizing == "Explicit":
        obj["spec"]["resources"].update(sizing="Explicit", nodes=nodes, gpusPerNode=gpus, zeroStage=zero)
    stored = admin.post(cr_path(namespace, "TrainingRun"), json=obj).raise_for_status().json()
    stored["metadata"]["namespace"] = namespace
    return stored


@pytest.mark.parametrize(("nodes", "gpus", "zero", "sizing"),
                         [(4, 8, 3, "Explicit"), (1, 8, 2, "Explicit"), (2, 0, 0, "Explicit"), (0, 8, 0, "Planner")])
def test_rayjobs_the_operator_builds_are_admitted(admin: httpx.Client, namespace: str, kuberay_installed: list[dict],
                                                  nodes: int, gpus: int, zero: int, sizing: str) -> None:
    tr = _owned_training_run(admin, namespace, nodes, gpus, zero, sizing)
    cm, rj = reconcile.training_desired(tr, SETTINGS).children
    r = admin.post(f"/api/v1/namespaces/{namespace}/configmaps", json=cm)
    assert r.status_code == 201, r.text
    r = admin.post(f"/apis/ray.io/v1/namespaces/{namespace}/rayjobs", json=rj)
    assert r.status_code == 201, r.text
    stored = r.json()
    # Nothing we send is pruned by KubeRay's structural schema: every field we set is a KubeRay field.
    assert _pruned(rj["spec"], stored["spec"]) == [], "fields KubeRay's schema does not know"
    assert stored["metadata"]["ownerReferences"][0]["uid"] == tr["metadata"]["uid"]
    # The head/worker pod templates are real Pod specs: the dry-run creation of each as a Pod passes
    # the server's own validation and admission (resources, security context, volumes, probes, the
    # Priority admission plugin: the example's PriorityClass must exist, as in a real cluster).
    pc = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "training-high"},
          "value": 1000}
    assert admin.post("/apis/scheduling.k8s.io/v1/priorityclasses", json=pc).status_code in (201, 409)
    c = rj["spec"]["rayClusterSpec"]
    for tpl in [c["headGroupSpec"]["template"], *[g["template"] for g in c["workerGroupSpecs"]],
                rj["spec"]["submitterPodTemplate"]]:
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "tpl-", **tpl.get("metadata", {})},
               "spec": tpl["spec"]}
        r = admin.post(f"/api/v1/namespaces/{namespace}/pods", params={"dryRun": "All"}, json=pod)
        assert r.status_code == 201, r.text


def _pruned(sent: Any, stored: Any, path: str = "spec") -> list[str]:
    if isinstance(sent, dict):
        if not isinstance(stored, dict):
            return [path]
        return [p for k, v in sent.items()
                for p in ([f"{path}.{k}"] if k not in stored else _pruned(v, stored[k], f"{path}.{k}"))]
    if isinstance(sent, list) and isinstance(stored, list):
        return [p for i, (a, b) in enumerate(zip(sent, stored, strict=False)) for p in _pruned(a, b, f"{path}[{i}]")]
    return []


def test_evaluation_job_the_operator_builds_is_admitted(admin: httpx.Client, namespace: str) -> None:
    obj = example("EvaluationRun")
    er = admin.post(cr_path(namespace, "EvaluationRun"), json=obj).raise_for_status().json()
    (job,) = reconcile.evaluation_desired(er, SETTINGS).children
    r = admin.post(f"/apis/batch/v1/namespaces/{namespace}/jobs", json=job)
    assert r.status_code == 201, r.text
    stored = r.json()
    # batch/v1 Job fields newer than 1.20 are dropped by this server: `suspend` (1.21) and
    # `ttlSecondsAfterFinished` (alpha, gated off in 1.20). Nothing else we send is pruned.
    assert sorted(_pruned(job["spec"], stored["spec"])) == JOB_FIELDS_NEWER_THAN_1_20
    assert stored["metadata"]["ownerReferences"][0]["uid"] == er["metadata"]["uid"]
    assert stored["spec"]["template"]["spec"]["containers"][0]["args"][:2] == ["eval", "bfcl"]
