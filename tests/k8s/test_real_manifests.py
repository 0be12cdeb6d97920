"""The rendered manifests against a real kube-apiserver v1.20.2: ``kubectl apply --dry-run=server``
of every object of both kustomize overlays and both Helm renders, and server-side apply of the dev
overlay twice (the second time a no-op). Objects of API versions 1.20 does not serve are listed
here and validated with kubernetes-validate at a current Kubernetes version instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from tests.k8s.realserver import UNSERVED_1_20, RealApiServer, kubectl_run, served_by_1_20
from tests.k8s.render import OVERLAYS, helm_template, kustomize

pytestmark = pytest.mark.apiserver

CURRENT_K8S = "1.35.0"
# Every object the 1.20 server cannot take, by render: (apiVersion, kind, name).
EXPECTED_UNSERVED = {("policy/v1", "PodDisruptionBudget", "xlam-api"),
                     ("policy/v1", "PodDisruptionBudget", "xlam-worker")}


def render(kubectl: Path, helm: Path, source: str, overlay: str) -> list[dict[str, Any]]:
    return kustomize(kubectl, overlay) if source == "kustomize" else helm_template(helm, overlay)


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("source", ["kustomize", "helm"])
def test_server_dry_run_of_every_rendered_object(apiserver: RealApiServer, admin: httpx.Client, kubectl: Path,
                                                 helm: Path, xlam_installed: dict[str, Any], tmp_path: Path,
                                                 source: str, overlay: str) -> None:
    objs = render(kubectl, helm, source, overlay)
    unserved = {(o["apiVersion"], o["kind"], o["metadata"]["name"]) for o in objs
                if (o["apiVersion"], o["kind"]) in UNSERVED_1_20}
    assert unserved == EXPECTED_UNSERVED
    served = served_by_1_20(objs)
    assert len(served) == len(objs) - len(unserved)
    manifest = tmp_path / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all(served))
    out = kubectl_run(kubectl, xlam_installed["kubeconfig"], "apply", "--dry-run=server", "-o", "json",
                      "-f", str(manifest)).stdout
    doc = json.loads(out)
    items = doc["items"] if doc.get("kind") == "List" else [doc]
    assert sorted((i["kind"], i["metadata"]["name"]) for i in items) == sorted(
        (o["kind"], o["metadata"]["name"]) for o in served)
    # The server filled in its defaults (it really admitted them), e.g. on every Deployment.
    for item in items:
        if item["kind"] == "Deployment":
            assert item["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
            assert item["spec"]["template"]["spec"]["schedulerName"] == "default-scheduler"

    for obj in objs:
        if (obj["apiVersion"], obj["kind"]) in UNSERVED_1_20:
            # Not served by 1.20: schema-checked at a current version, and the same spec as the
            # policy/v1beta1 the 1.20 server does serve passes its dry-run.
            kubernetes_validate.validate(obj, CURRENT_K8S, strict=True)
            beta = {**obj, "apiVersion": "policy/v1beta1"}
            r = admin.post(f"/apis/policy/v1beta1/namespaces/{obj['metadata']['namespace']}/poddisruptionbudgets",
                           params={"dryRun": "All"}, json=beta)
            assert r.status_code == 201, r.text


def test_1_20_does_not_serve_the_unserved_versions(admin: httpx.Client) -> None:
    for api_version, _kind in UNSERVED_1_20:
        assert admin.get(f"/apis/{api_version}").status_code == 404
    version = admin.get("/version").json()
    assert version["gitVersion"] == "v1.20.2", version


# Objects that a 1.20 server rewrites on every server-side apply although nothing in them changes
# (only managedFields' timestamp and resourceVersion move; checked below): a Secret written with
# `stringData` (write-only, never stored, so it always differs from the live object), a StatefulSet's
# `volumeClaimTemplates` (an atomic list compared with its server-defaulted copy), and a PVC on its
# first update after creation (admission added the pvc-protection finalizer). Verified on this
# server by applying each alone repeatedly; none of this touches spec, data or generation.
SSA_REWRITTEN_BY_1_20 = {("Secret", "xlam", "xlam-secrets"), ("StatefulSet", "xlam", "xlam-postgres"),
                         ("PersistentVolumeClaim", "xlam", "xlam-data")}


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k not in ("managedFields", "resourceVersion")}
    return {**obj, "metadata": meta}


def test_server_side_apply_of_the_dev_overlay_twice_is_a_no_op(xlam_installed: dict[str, Any], kubectl: Path) -> None:
    kubeconfig, manifest = xlam_installed["kubeconfig"], xlam_installed["manifest"]

    def live() -> dict[tuple[str, str, str], dict[str, Any]]:
        out = json.loads(kubectl_run(kubectl, kubeconfig, "get", "-o", "json", "-f", str(manifest)).stdout)
        return {(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]): i for i in out["items"]}

    first = xlam_installed["first_apply"].stdout
    assert first.count("serverside-applied") == len(xlam_installed["objects"])
    before = live()
    assert len(before) == len(xlam_installed["objects"])
    kubectl_run(kubectl, kubeconfig, "apply", "--server-side", "--field-manager=xlam-tests", "-f", str(manifest))
    after = live()
    # Nothing changed in any object's content (spec, data, labels, generation, ...).
    for key, obj in after.items():
        assert _content(obj) == _content(before[key]), key
    # Nothing was even written, except the objects 1.20 rewrites with identical content (see above).
    written = {k for k, obj in after.items()
               if obj["metadata"]["resourceVersion"] != before[k]["metadata"]["resourceVersion"]}
    assert written <= SSA_REWRITTEN_BY_1_20, written - SSA_REWRITTEN_BY_1_20
    # kubectl sees no difference between the files and the live objects.
    diff = kubectl_run(kubectl, kubeconfig, "diff", "--server-side", "--field-manager=xlam-tests", "-f", str(manifest),
                       check=False)
    assert diff.returncode == 0, diff.stdout[-3000:] + diff.stderr[-2000:]
