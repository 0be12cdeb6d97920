"""TrainingRun -> ConfigMap (training + DeepSpeed config) + RayJob (ray.io/v1, K8sJobMode)."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from operators.builders import common
from operators.settings import OperatorSettings
from operators.sizing import Sizing
from platform_contracts.k8s.labels import RUN_LABEL, UID_LABEL
from xlam.overrides import set_dotted

CONFIG_DIR = "/etc/xlam/train"
TRAIN_ENTRYPOINT = f"xlam train run --config {CONFIG_DIR}/train.yaml"
RAY_HEAD_PORTS = [{"name": "gcs", "containerPort": 6379}, {"name": "dashboard", "containerPort": 8265},
                  {"name": "client", "containerPort": 10001}]


def configmap_name(cr: dict[str, Any]) -> str:
    return common.child_name(cr["metadata"]["name"], "train-config")


def rayjob_name(cr: dict[str, Any]) -> str:
    # RayCluster names derive from the RayJob's (+ a 5-char suffix, then pod suffixes): keep it short.
    return common.child_name(cr["metadata"]["name"], max_len=40)


def deepspeed_config(spec: dict[str, Any], sizing: Sizing) -> dict[str, Any]:
    """The DeepSpeed config: ZeRO stage from the sizing, user overrides merged on top."""
    zero: dict[str, Any] = {"stage": sizing.zero_stage, "overlap_comm": True, "contiguous_gradients": True,
                            "reduce_bucket_size": 5e8}
    if sizing.zero_stage == 3:
        zero.update({"stage3_gather_16bit_weights_on_model_save": True})
    cfg: dict[str, Any] = {"zero_optimization": zero, "bf16": {"enabled": sizing.gpus_per_node > 0},
                           "gradient_clipping": 1.0, "wall_clock_breakdown": False}
    return _deep_merge(cfg, spec.get("deepspeed") or {})


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _offload(spec: dict[str, Any], key: str) -> bool:
    zero = (spec.get("deepspeed") or {}).get("zero_optimization") or {}
    return str((zero.get(key) or {}).get("device", "none")) in ("cpu", "nvme")


def output_location(cr: dict[str, Any]) -> tuple[str, str | None]:
    """(output_dir, checkpoint storage URI or None): on a PVC both live on it; with an object store
    the trainer writes locally (``/tmp``) and Ray Train persists checkpoints to the URI."""
    meta = cr["metadata"]
    rel = f"runs/{meta['namespace']}/{meta['name']}"
    storage = cr["spec"].get("storage") or {}
    if "pvc" in storage:
        return f"{storage['pvc'].get('mountPath', '/data')}/{rel}", None
    return f"/tmp/xlam-train/{meta['name']}", f"{str(storage['uri']).rstrip('/')}/{rel}"


def train_config(cr: dict[str, Any], sizing: Sizing, output_root: str = "") -> dict[str, Any]:
    """The ``xlam.training.TrainConfig`` document the entrypoint reads: the user's ``spec.config``
    plus what the run resolves (recipe, method, Ray cluster layout, ZeRO stage, output places)."""
    spec = cr["spec"]
    cfg = copy.deepcopy(spec.get("config") or {})
    cfg.setdefault("name", cr["metadata"]["name"])
    cfg["method"] = spec.get("method", "sft")
    cfg["model"] = {**(cfg.get("model") or {}), "recipe": spec["recipe"]}
    dist = dict(cfg.get("distributed") or {})
    dist.update({"launcher": "ray", "ray_address": "auto",
                 "num_workers": max(1, sizing.nodes * max(1, sizing.gpus_per_node)),
                 "use_gpu": sizing.gpus_per_node > 0, "zero_stage": sizing.zero_stage})
    dist.setdefault("engine", "deepspeed")
    for key in ("offload_optimizer", "offload_params"):
        if sizing.overrides.get(f"distributed.{key}"):
            dist[key] = True
    if _offload(spec, "offload_optimizer") and sizing.zero_stage >= 1:
        dist["offload_optimizer"] = True
    if _offload(spec, "offload_param") and sizing.zero_stage == 3:
        dist["offload_params"] = True
    cfg["distributed"] = dist
    for dotted, value in sizing.overrides.items():  # planner recommendations the user did not set
        if not dotted.startswith("distributed."):
            set_dotted(cfg, dotted, value, keep_existing=True)
    output_dir, storage_path = output_location(cr)
    cfg.setdefault("output_dir", output_dir)
    if storage_path:
        cfg["checkpoint"] = {**(cfg.get("checkpoint") or {}), "storage_path": storage_path}
    return cfg


def validate_train_config(cfg: dict[str, Any]) -> None:
    """Reject a config the trainer would reject (``xlam.training`` is in the operator's image)."""
    from xlam.training.config import parse_train_config

    parse_train_config(cfg)


def build_configmap(cr: dict[str, Any], sizing: Sizing, output_root: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": common.metadata(cr, configmap_name(cr), "training-config"),
        "data": {
            "train.yaml": yaml.safe_dump(train_config(cr, sizing), sort_keys=True),
            "deepspeed.json": json.dumps(deepspeed_config(cr["spec"], sizing), indent=2, sort_keys=True),
        },
    }


def _pod_template(cr: dict[str, Any], settings: OperatorSettings, container: dict[str, Any],
                  extra_volumes: list[dict[str, Any]], component: str, gpu: bool) -> dict[str, Any]:
    spec = cr["spec"]
    pod: dict[str, Any] = {
        "serviceAccountName": settings.service_account,
        "automountServiceAccountToken": False,
        "securityContext": common.pod_security_context(),
        "containers": [container],
        "volumes": [common.TMP_VOLUME, {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}},
                    {"name": "train-config", "configMap": {"name": configmap_name(cr)}}, *extra_volumes],
    }
    if gpu:
        pod.update(common.scheduling_parts(spec))
    elif (spec.get("scheduling") or {}).get("priorityClassName"):
        pod["priorityClassName"] = spec["scheduling"]["priorityClassName"]
    return {"metadata": {"labels": common.labels(cr, component)}, "spec": pod}


def _container(cr: dict[str, Any], settings: OperatorSettings, name: str, resources: dict[str, Any],
               mounts: list[dict[str, Any]], env: list[dict[str, Any]], env_from: list[dict[str, Any]],
               ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": name, "image": cr["spec"].get("image") or settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "resources": resources,
        "securityContext": common.container_security_context(),
        "env": [*common.run_env(cr), *env, {"name": "XLAM_TRAIN_CONFIG", "value": f"{CONFIG_DIR}/train.yaml"}],
        "volumeMounts": [common.TMP_MOUNT, {"name": "dshm", "mountPath": "/dev/shm"},
                         {"name": "train-config", "mountPath": CONFIG_DIR, "readOnly": True}, *mounts],
    }
    if env_from:
        c["envFrom"] = env_from
    if ports:
        c["ports"] = ports
    return c


def build_rayjob(cr: dict[str, Any], sizing: Sizing, settings: OperatorSettings) -> dict[str, Any]:
    spec = cr["spec"]
    res = spec.get("resources") or {}
    volumes, mounts, env, env_from, _ = common.storage_parts(spec)
    gpus = sizing.gpus_per_node
    head_res = {"requests": {"cpu": settings.head_cpu, "memory": settings.head_memory},
                "limits": {"cpu": settings.head_cpu, "memory": settings.head_memory}}
    cpu = res.get("cpuPerNode") or max(2, settings.worker_cpu_per_gpu * max(gpus, 1))
    mem = res.get("memoryPerNode") or f"{settings.worker_memory_per_gpu_gi * max(gpus, 1)}Gi"
    worker_res: dict[str, Any] = {"requests": {"cpu": str(cpu), "memory": str(mem)},
                                  "limits": {"cpu": str(cpu), "memory": str(mem)}}
    if gpus > 0:
        worker_res["requests"]["nvidia.com/gpu"] = gpus
        worker_res["limits"]["nvidia.com/gpu"] = gpus
    head = _container(cr, settings, "ray-head", head_res, mounts, env, env_from, RAY_HEAD_PORTS)
    worker = _container(cr, settings, "ray-worker", worker_res, mounts, env, env_from)
    rayjob_spec: dict[str, Any] = {
        "entrypoint": TRAIN_ENTRYPOINT,
        "submissionMode": "K8sJobMode",
        "shutdownAfterJobFinishes": True,  # also required for Kueue admission (kuberay#1813)
        "ttlSecondsAfterFinished": int(spec.get("ttlSecondsAfterFinished", 3600)),
        "backoffLimit": int(spec.get("backoffLimit", 0)),
        "metadata": {RUN_LABEL: cr["metadata"]["name"], UID_LABEL: cr["metadata"]["uid"]},
        "submitterPodTemplate": _submitter_template(cr, settings),
        "submitterConfig": {"backoffLimit": 2},
        "rayClusterSpec": {
            "rayVersion": spec.get("rayVersion", "2.60.0"),
            "enableInTreeAutoscaling": False,
            "headGroupSpec": {
                "rayStartParams": {"dashboard-host": "0.0.0.0", "num-gpus": "0"},
                "template": _pod_template(cr, settings, head, volumes, "ray-head", gpu=False),
            },
            "workerGroupSpecs": [{
                "groupName": "gpu-workers" if gpus > 0 else "cpu-workers",
                "replicas": sizing.nodes, "minReplicas": sizing.nodes, "maxReplicas": sizing.nodes,
                "rayStartParams": {},
                "template": _pod_template(cr, settings, worker, volumes, "ray-worker", gpu=True),
            }],
        },
    }
    if spec.get("activeDeadlineSeconds"):
        rayjob_spec["activeDeadlineSeconds"] = int(spec["activeDeadlineSeconds"])
    if (spec.get("scheduling") or {}).get("queueName"):
        # Kueue admits by toggling suspend; a suspended RayJob creates no cluster until admitted.
        rayjob_spec["suspend"] = True
    return {"apiVersion": "ray.io/v1", "kind": "RayJob",
            "metadata": common.metadata(cr, rayjob_name(cr), "training"), "spec": rayjob_spec}


def _submitter_template(cr: dict[str, Any], settings: OperatorSettings) -> dict[str, Any]:
    """The K8sJobMode submitter pod: runs ``ray job submit`` from our image, hardened, no SA token."""
    return {
        "metadata": {"labels": common.labels(cr, "ray-submitter")},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": settings.service_account,
            "automountServiceAccountToken": False,
            "securityContext": common.pod_security_context(),
            "volumes": [common.TMP_VOLUME],
            "containers": [{
                "name": "ray-job-submitter", "image": cr["spec"].get("image") or settings.image,
                "imagePullPolicy": settings.image_pull_policy,
                "resources": {"requests": {"cpu": "200m", "memory": "512Mi"},
                              "limits": {"cpu": "1", "memory": "512Mi"}},
                "securityContext": common.container_security_context(),
                "env": [{"name": "HOME", "value": "/tmp"}],
                "volumeMounts": [common.TMP_MOUNT],
            }],
        },
    }
