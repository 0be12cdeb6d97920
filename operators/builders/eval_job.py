"""EvaluationRun -> a batch/v1 Job running ``xlam eval bfcl``."""

from __future__ import annotations

from typing import Any

from operators.builders import common
from operators.settings import OperatorSettings


def job_name(cr: dict[str, Any]) -> str:
    return common.child_name(cr["metadata"]["name"], "eval", max_len=52)  # Job adds pod suffixes


CONFIG_FLAGS = {"max_tokens": "--max-tokens", "batch_size": "--batch-size", "backend": "--backend",
                "base_url": "--base-url", "concurrency": "--concurrency"}


def eval_args(cr: dict[str, Any], output_root: str) -> list[str]:
    """``xlam eval bfcl`` arguments; ``--resume`` so a retried pod continues the same output."""
    spec = cr["spec"]
    out = f"{output_root}/evals/{cr['metadata']['namespace']}/{cr['metadata']['name']}"
    gpus = int((spec.get("resources") or {}).get("gpus", 0))
    args = ["eval", "bfcl", "--model", spec["model"], "--out", out, "--mode", spec.get("promptMode", "native"),
            "--device", "cuda" if gpus else "cpu", "--label", cr["metadata"]["name"], "--resume"]
    if spec.get("categories"):
        args += ["--categories", ",".join(spec["categories"])]
    if spec.get("limit"):
        args += ["--limit", str(spec["limit"])]
    config = spec.get("config") or {}
    for key, flag in CONFIG_FLAGS.items():
        if config.get(key) is not None:
            args += [flag, str(config[key])]
    return args


def build_job(cr: dict[str, Any], settings: OperatorSettings) -> dict[str, Any]:
    spec = cr["spec"]
    volumes, mounts, env, env_from, root = common.storage_parts(spec)
    res = spec.get("resources") or {}
    cpu, mem, gpus = str(res.get("cpu", "2")), str(res.get("memory", "8Gi")), int(res.get("gpus", 0))
    resources: dict[str, Any] = {"requests": {"cpu": cpu, "memory": mem}, "limits": {"cpu": cpu, "memory": mem}}
    if gpus:
        resources["requests"]["nvidia.com/gpu"] = gpus
        resources["limits"]["nvidia.com/gpu"] = gpus
    container: dict[str, Any] = {
        "name": "evaluate", "image": spec.get("image") or settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": ["xlam"], "args": eval_args(cr, root),
        "resources": resources, "securityContext": common.container_security_context(),
        "env": [*common.run_env(cr), *env],
        "volumeMounts": [common.TMP_MOUNT, *mounts],
    }
    if env_from:
        container["envFrom"] = env_from
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never", "serviceAccountName": settings.service_account,
        "automountServiceAccountToken": False, "securityContext": common.pod_security_context(),
        "containers": [container], "volumes": [common.TMP_VOLUME, *volumes], **common.scheduling_parts(spec),
    }
    job_spec: dict[str, Any] = {
        "backoffLimit": int(spec.get("backoffLimit", 1)),
        "ttlSecondsAfterFinished": int(spec.get("ttlSecondsAfterFinished", 3600)),
        "template": {"metadata": {"labels": common.labels(cr, "evaluation")}, "spec": pod_spec},
    }
    if spec.get("activeDeadlineSeconds"):
        job_spec["activeDeadlineSeconds"] = int(spec["activeDeadlineSeconds"])
    if (spec.get("scheduling") or {}).get("queueName"):
        job_spec["suspend"] = True  # Kueue unsuspends on admission
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": common.metadata(cr, job_name(cr), "evaluation"),
            "spec": job_spec}
