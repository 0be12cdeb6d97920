"""Pure builders and reconcile logic: generated RayJobs/ConfigMaps/Jobs validated against the KubeRay
CRD schema and the Kubernetes core schemas, plus what those schemas cannot express."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from operators import reconcile
from operators.builders import eval_job, kfp_run, rayjob
from operators.settings import OperatorSettings
from operators.sizing import Sizing, SizingError, resolve_sizing
from platform_contracts.k8s.crd_schemas import ROOT
from tests.k8s.examples import example, explicit
from xlam.training.config import parse_train_config

SETTINGS = OperatorSettings(image="registry.test/xlam:1.2.3")
SUBMISSION_MODES = {"K8sJobMode", "HTTPMode", "InteractiveMode", "SidecarMode"}


def kuberay_schema(crds: dict[str, dict], kind: str) -> dict[str, Any]:
    (v1,) = [v for v in crds[kind]["spec"]["versions"] if v["name"] == "v1"]
    return v1["schema"]["openAPIV3Schema"]


def check_rayjob_semantics(rj: dict[str, Any]) -> None:
    """What KubeRay's controller validates but its CRD schema does not express (validation.go)."""
    spec = rj["spec"]
    assert spec["submissionMode"] in SUBMISSION_MODES
    assert spec["submissionMode"] == "K8sJobMode" and spec["entrypoint"]
    assert ("rayClusterSpec" in spec) != ("clusterSelector" in spec)
    if spec.get("suspend"):
        assert spec["shutdownAfterJobFinishes"] is True, "suspend requires shutdownAfterJobFinishes"
    if spec.get("ttlSecondsAfterFinished"):
        assert spec["shutdownAfterJobFinishes"] is True, "TTL only acts with shutdownAfterJobFinishes"
    assert "deletionStrategy" not in spec  # incompatible with shutdownAfterJobFinishes
    cluster = spec["rayClusterSpec"]
    names = [g["groupName"] for g in cluster["workerGroupSpecs"]]
    assert len(names) == len(set(names))
    for g in cluster["workerGroupSpecs"]:
        assert g["minReplicas"] <= g["replicas"] <= g["maxReplicas"]
    assert len(rj["metadata"]["name"]) <= 40  # RayCluster/pod names derive from it


def pod_templates(rj: dict[str, Any]) -> list[dict[str, Any]]:
    c = rj["spec"]["rayClusterSpec"]
    return [c["headGroupSpec"]["template"], *[g["template"] for g in c["workerGroupSpecs"]],
            rj["spec"]["submitterPodTemplate"]]


def assert_restricted(pod_spec: dict[str, Any]) -> None:
    assert pod_spec["securityContext"]["runAsNonRoot"] is True
    assert pod_spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod_spec["automountServiceAccountToken"] is False
    for c in pod_spec["containers"]:
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert c["resources"]["requests"] and c["resources"]["limits"]


@pytest.mark.parametrize(("nodes", "gpus", "zero"), [(4, 8, 3), (1, 8, 2), (2, 0, 0)])
def test_rayjob_is_valid_kuberay(kuberay_crds: dict[str, dict], nodes: int, gpus: int, zero: int) -> None:
    cr = explicit(example("trainingrun-xlam-8x7b.yaml"), nodes, gpus, zero)
    desired = reconcile.training_desired(cr, SETTINGS)
    cm, rj = desired.children
    jsonschema.Draft7Validator(kuberay_schema(kuberay_crds, "rayjobs")).validate(rj)
    jsonschema.Draft7Validator(kuberay_schema(kuberay_crds, "rayclusters")).validate(
        {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "x"},
         "spec": rj["spec"]["rayClusterSpec"]})
    check_rayjob_semantics(rj)
    kubernetes_validate.validate(cm, "1.35.0", strict=True)
    for tpl in pod_templates(rj):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **tpl["metadata"]}, "spec": tpl["spec"]}
        kubernetes_validate.validate(pod, "1.35.0", strict=True)
        assert_restricted(tpl["spec"])
        assert all(c["image"] == "registry.test/xlam:1.2.3" for c in tpl["spec"]["containers"])

    workers = rj["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]
    assert workers["replicas"] == nodes
    limits = workers["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits.get("nvidia.com/gpu", 0) == gpus
    spec = rj["spec"]
    assert spec["activeDeadlineSeconds"] == 259200 and spec["ttlSecondsAfterFinished"] == 3600
    assert spec["shutdownAfterJobFinishes"] is True and spec["suspend"] is True  # Kueue admits
    assert rj["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "h100-training"
    wt = workers["template"]["spec"]
    assert wt["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert wt["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert {"secretRef": {"name": "xlam-s3-credentials"}} in wt["containers"][0]["envFrom"]
    # owner reference -> garbage collection with the TrainingRun
    for child in (cm, rj):
        (ref,) = child["metadata"]["ownerReferences"]
        assert ref["uid"] == cr["metadata"]["uid"] and ref["controller"] and ref["blockOwnerDeletion"]

    ds = json.loads(cm["data"]["deepspeed.json"])
    assert ds["zero_optimization"]["stage"] == zero
    assert ds["zero_optimization"]["reduce_bucket_size"] == 200000000  # user override merged
    train = yaml.safe_load(cm["data"]["train.yaml"])
    parse_train_config(train)  # exactly what `xlam train run --config` will accept
    assert train["model"]["recipe"] == "xlam-8x7b" and train["optim"]["max_steps"] == 6000
    dist = train["distributed"]
    assert dist["num_workers"] == max(1, nodes * max(1, gpus)) and dist["launcher"] == "ray"
    assert dist["ray_address"] == "auto" and dist["zero_stage"] == zero and dist["use_gpu"] is (gpus > 0)
    assert not dist.get("offload_optimizer", False)
    assert train["output_dir"] == "/tmp/xlam-train/xlam-8x7b-sft"
    assert train["checkpoint"]["storage_path"] == "s3://xlam-artifacts/runs/xlam/xlam-8x7b-sft"
    assert train["checkpoint"]["every_steps"] == 250
    assert desired.status["outputUri"] == "s3://xlam-artifacts/runs/xlam/xlam-8x7b-sft"
    assert desired.status["sizing"]["nodes"] == nodes


def test_entrypoint_and_config_mount_agree() -> None:
    cr = explicit(example("trainingrun-xlam-8x7b.yaml"))
    cm, rj = reconcile.training_desired(cr, SETTINGS).children
    assert rj["spec"]["entrypoint"] == "xlam train run --config /etc/xlam/train/train.yaml"
    head = rj["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
    (vol,) = [v for v in head["volumes"] if v["name"] == "train-config"]
    assert vol["configMap"]["name"] == cm["metadata"]["name"]
    assert {"name": "train-config", "mountPath": "/etc/xlam/train", "readOnly": True} in head["containers"][0][
        "volumeMounts"]
    assert set(cm["data"]) == {"train.yaml", "deepspeed.json"}


def test_pvc_storage_and_long_names() -> None:
    cr = explicit(example("trainingrun-xlam-8x7b.yaml"))
    cr["metadata"]["name"] = "a-very-long-training-run-name-that-exceeds-forty-characters-by-far"
    cr["spec"]["storage"] = {"pvc": {"claimName": "shared", "mountPath": "/mnt/shared"}}
    cm, rj = reconcile.training_desired(cr, SETTINGS).children
    assert len(rj["metadata"]["name"]) <= 40 and len(cm["metadata"]["name"]) <= 63
    assert rj["metadata"]["name"] == rayjob.rayjob_name(cr)  # stable
    worker = rj["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["template"]["spec"]
    assert {"name": "storage", "persistentVolumeClaim": {"claimName": "shared"}} in worker["volumes"]


def test_invalid_training_config_is_permanent() -> None:
    cr = explicit(example("trainingrun-xlam-8x7b.yaml"))
    cr["spec"]["config"]["optim"]["lr"] = -1
    with pytest.raises(reconcile.InvalidRunConfig, match=r"optim\.lr"):
        reconcile.training_desired(cr, SETTINGS)
    cr["spec"]["config"] = {}
    with pytest.raises(reconcile.InvalidRunConfig, match="data"):
        reconcile.training_desired(cr, SETTINGS)


def test_pvc_training_outputs_live_on_the_pvc() -> None:
    cr = explicit(example("trainingrun-xlam-8x7b.yaml"))
    cr["spec"]["storage"] = {"pvc": {"claimName": "shared", "mountPath": "/mnt/shared"}}
    desired = reconcile.training_desired(cr, SETTINGS)
    train = yaml.safe_load(desired.children[0]["data"]["train.yaml"])
    assert train["output_dir"] == "/mnt/shared/runs/xlam/xlam-8x7b-sft" and "storage_path" not in train["checkpoint"]
    assert desired.status["outputUri"] == "/mnt/shared/runs/xlam/xlam-8x7b-sft"


def test_planner_sizes_the_8x7b_example(kuberay_crds: dict[str, dict]) -> None:
    """The example asks TRAINING's planner: the RayJob gets its node count, the TrainConfig its
    ZeRO stage, micro-batch, gradient accumulation and activation checkpointing."""
    from xlam.training import plan

    cr = example("trainingrun-xlam-8x7b.yaml")
    rec = plan("xlam-8x7b", "h100-80gb", gpus_per_node=8, seq=4096, method="full").recommended
    assert rec is not None
    sizing = resolve_sizing(cr["spec"])
    assert (sizing.source, sizing.nodes, sizing.gpus_per_node, sizing.zero_stage) == (
        "Planner", rec.nodes, 8, rec.zero_stage)
    assert rec.nodes >= 2  # multi-node: 8x7b does not fit one H100 node without offload
    desired = reconcile.training_desired(cr, SETTINGS)
    cm, rj = desired.children
    jsonschema.Draft7Validator(kuberay_schema(kuberay_crds, "rayjobs")).validate(rj)
    check_rayjob_semantics(rj)
    assert rj["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["replicas"] == rec.nodes
    train = parse_train_config(yaml.safe_load(cm["data"]["train.yaml"]))
    assert train.distributed.num_workers == rec.nodes * 8 and train.distributed.zero_stage == rec.zero_stage
    assert train.optim.grad_accum == 4  # the user's value wins over the plan's
    assert train.data.micro_batch_size == 1 and train.activation_checkpointing is True
    assert desired.status["sizing"]["source"] == "Planner" and "GiB/GPU" in desired.status["sizing"]["note"]


def test_planner_rejection_is_a_sizing_error() -> None:
    cr = example("trainingrun-xlam-8x7b.yaml")
    cr["spec"]["resources"]["gpuType"] = "tpu-v5"
    with pytest.raises(SizingError, match="planner rejected"):
        resolve_sizing(cr["spec"])


def test_explicit_sizing_needs_counts_and_planner_errors_are_permanent() -> None:
    cr = example("trainingrun-xlam-8x7b.yaml")
    spec = copy.deepcopy(cr["spec"])
    spec["resources"] = {"sizing": "Explicit", "nodes": 2}
    with pytest.raises(SizingError):
        resolve_sizing(spec)


def test_evaluation_job(kuberay_crds: dict[str, dict]) -> None:
    cr = example("evaluationrun.yaml")
    (job,) = reconcile.evaluation_desired(cr, SETTINGS).children
    kubernetes_validate.validate(job, "1.35.0", strict=True)
    pod = job["spec"]["template"]["spec"]
    assert_restricted(pod)
    c = pod["containers"][0]
    assert c["command"] == ["xlam"] and c["args"][:2] == ["eval", "bfcl"]
    assert c["args"][c["args"].index("--model") + 1] == "/data/runs/xlam/xlam-8x7b-sft/hf"
    assert c["args"][c["args"].index("--device") + 1] == "cuda" and "--resume" in c["args"]
    assert c["args"][c["args"].index("--mode") + 1] == "native"
    assert c["args"][c["args"].index("--out") + 1] == "/data/evals/xlam/xlam-8x7b-sft-bfcl"
    assert c["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert job["spec"]["suspend"] is True and job["spec"]["activeDeadlineSeconds"] == 21600
    assert job["metadata"]["name"] == eval_job.job_name(cr)


def test_kfp_run_body() -> None:
    cr = example("synthesisrun.yaml")
    body = kfp_run.build_run_body(cr, pipeline_id="p1", version_id="v1", experiment_id="e1",
                                  output_root="s3://xlam-artifacts")
    assert body["pipeline_version_reference"] == {"pipeline_id": "p1", "pipeline_version_id": "v1"}
    assert body["runtime_config"]["parameters"]["num_batches"] == 32
    assert body["runtime_config"]["pipeline_root"] == "s3://xlam-artifacts/pipelines"
    assert body["display_name"] == kfp_run.display_name(cr) and cr["metadata"]["uid"][:8] in body["display_name"]
    # every parameter must be declared by the compiled pipeline (KFP rejects unknown ones)
    compiled = (ROOT / "pipelines" / "compiled" / "xlam-synthesis.yaml").read_text()
    declared = yaml.safe_load(compiled.split("\n---")[0])["root"]["inputDefinitions"]["parameters"]
    assert set(body["runtime_config"]["parameters"]) <= set(declared)


def test_check_adoptable() -> None:
    cr = explicit(example("trainingrun-xlam-8x7b.yaml"))
    cm, _ = reconcile.training_desired(cr, SETTINGS).children
    reconcile.check_adoptable(cm, cr)
    stranger = copy.deepcopy(cm)
    stranger["metadata"]["ownerReferences"][0]["uid"] = "someone-else"
    with pytest.raises(reconcile.ChildConflict):
        reconcile.check_adoptable(stranger, cr)


def test_children_to_delete() -> None:
    cr = explicit(example("trainingrun-xlam-8x7b.yaml"))
    assert reconcile.children_to_delete(cr) == [("RayJob", "xlam-8x7b-sft"), ("ConfigMap", "xlam-8x7b-sft-train-config")]
    assert reconcile.children_to_delete(example("synthesisrun.yaml")) == []


def test_sizing_status_roundtrip() -> None:
    s = Sizing("Planner", 4, 8, 3, "fits with ZeRO-3")
    assert s.as_status() == {"source": "Planner", "nodes": 4, "gpusPerNode": 8, "zeroStage": 3,
                             "note": "fits with ZeRO-3"}
