"""Render the kustomize overlays and the Helm chart with the real binaries; normalise object sets."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}


def kustomize(kubectl: Path, overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run([str(kubectl), "kustomize", str(ROOT / "manifests" / "overlays" / overlay)],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def helm_template(helm: Path, overlay: str, *extra: str) -> list[dict[str, Any]]:
    chart = ROOT / "charts" / "xlam"
    cmd = [str(helm), "template", "xlam", str(chart), "--namespace", "xlam", "--include-crds",
           "-f", str(chart / f"values-{overlay}.yaml"), *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def normalise(objs: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    out = {}
    for obj in objs:
        assert key(obj) not in out, f"duplicate object {key(obj)}"
        out[key(obj)] = _drop_nulls(obj)
    return out


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Human-readable differences between two normalised objects."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'helm' if k in b else 'kustomize'}")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: kustomize={a!r} helm={b!r}"]
