"""Shared pieces of child objects: names, labels, owner references, pod hardening, storage."""

from __future__ import annotations

import hashlib
from typing import Any

from platform_contracts.k8s.labels import (
    COMPONENT_LABEL,
    KIND_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    PART_OF,
    PART_OF_LABEL,
    QUEUE_LABEL,
    RUN_LABEL,
    UID_LABEL,
)

TMP_VOLUME = {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}}
TMP_MOUNT = {"name": "tmp", "mountPath": "/tmp"}


def child_name(name: str, suffix: str = "", max_len: int = 63) -> str:
    """A DNS-label child name; long names are shortened with a stable hash."""
    full = f"{name}-{suffix}" if suffix else name
    if len(full) <= max_len:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    keep = max_len - len(digest) - 1 - (len(suffix) + 1 if suffix else 0)
    return f"{name[:keep].rstrip('-')}-{digest}" + (f"-{suffix}" if suffix else "")


def owner_reference(cr: dict[str, Any]) -> dict[str, Any]:
    meta = cr["metadata"]
    return {"apiVersion": cr["apiVersion"], "kind": cr["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def labels(cr: dict[str, Any], component: str) -> dict[str, str]:
    meta = cr["metadata"]
    out = {
        MANAGED_BY_LABEL: MANAGED_BY,
        PART_OF_LABEL: PART_OF,
        COMPONENT_LABEL: component,
        RUN_LABEL: meta["name"],
        KIND_LABEL: cr["kind"],
        UID_LABEL: meta["uid"],
    }
    queue = ((cr.get("spec") or {}).get("scheduling") or {}).get("queueName")
    if queue:
        out[QUEUE_LABEL] = queue
    return out


def metadata(cr: dict[str, Any], name: str, component: str) -> dict[str, Any]:
    return {"name": name, "namespace": cr["metadata"]["namespace"], "labels": labels(cr, component),
            "ownerReferences": [owner_reference(cr)]}


def pod_security_context() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"}}


def container_security_context() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def storage_parts(spec: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]],
                                                 list[dict[str, Any]], str]:
    """(volumes, volumeMounts, env, envFrom, output root URI) for ``spec.storage``."""
    storage = spec.get("storage") or {}
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    env: list[dict[str, Any]] = []
    env_from: list[dict[str, Any]] = []
    if "pvc" in storage:
        pvc = storage["pvc"]
        mount_path = pvc.get("mountPath", "/data")
        volumes.append({"name": "storage", "persistentVolumeClaim": {"claimName": pvc["claimName"]}})
        mount = {"name": "storage", "mountPath": mount_path}
        if pvc.get("subPath"):
            mount["subPath"] = pvc["subPath"]
        mounts.append(mount)
        root = mount_path
    else:
        root = str(storage["uri"]).rstrip("/")
    env.append({"name": "XLAM_STORAGE_ROOT", "value": root})
    secret = storage.get("credentialsSecret")
    if secret:
        env_from.append({"secretRef": {"name": secret["name"]}})
    return volumes, mounts, env, env_from, root


def scheduling_parts(spec: dict[str, Any]) -> dict[str, Any]:
    """Pod-spec fields from ``spec.scheduling`` (nodeSelector, tolerations, priorityClassName)."""
    sched = spec.get("scheduling") or {}
    out: dict[str, Any] = {}
    if sched.get("nodeSelector"):
        out["nodeSelector"] = dict(sched["nodeSelector"])
    if sched.get("tolerations"):
        out["tolerations"] = [dict(t) for t in sched["tolerations"]]
    if sched.get("priorityClassName"):
        out["priorityClassName"] = sched["priorityClassName"]
    return out


def run_env(cr: dict[str, Any]) -> list[dict[str, Any]]:
    meta = cr["metadata"]
    env = [{"name": "XLAM_RUN_NAME", "value": meta["name"]},
           {"name": "XLAM_RUN_UID", "value": meta["uid"]},
           {"name": "HOME", "value": "/tmp"}]
    run_id = (cr.get("spec") or {}).get("controlPlaneRunId")
    if run_id:
        env.append({"name": "XLAM_RUN_ID", "value": run_id})
    return env
