"""Render kustomize overlays and the Helm chart with the real kubectl/helm binaries; check that both
produce the same objects, validate every object, enforce the security policy, run checkov."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from operators.settings import DEFAULT_IMAGE, IMAGE_REPOSITORY
from platform_contracts.k8s.crd_schemas import all_crds
from tests.k8s.render import OVERLAYS, ROOT, diff, helm_template, key, kustomize, normalise

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
API_TOKEN_PODS = {"xlam-worker", "xlam-operator"}


@pytest.fixture(scope="module")
def rendered(kubectl: Path, helm: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {ov: {"kustomize": kustomize(kubectl, ov), "helm": helm_template(helm, ov)} for ov in OVERLAYS}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kustomize_and_helm_render_the_same_objects(rendered, overlay: str) -> None:
    k, h = normalise(rendered[overlay]["kustomize"]), normalise(rendered[overlay]["helm"])
    assert sorted(k) == sorted(h)
    problems = {str(name): diff(k[name], h[name]) for name in k if diff(k[name], h[name])}
    assert not problems, problems


def test_overlays_differ_as_intended(rendered) -> None:
    dev, prod = (normalise(rendered[o]["kustomize"]) for o in ("dev", "prod"))
    dep = ("apps/v1", "Deployment", "xlam", "xlam-api")
    assert dev[dep]["spec"]["replicas"] == 1 and prod[dep]["spec"]["replicas"] == 3
    assert ("apps/v1", "StatefulSet", "xlam", "xlam-postgres") in dev
    assert not any(k[1] in ("StatefulSet",) or k[3] in ("xlam-redis", "xlam-postgres") for k in prod)
    cm = ("v1", "ConfigMap", "xlam", "xlam-config")
    assert dev[cm]["data"]["XLAM_ENV"] == "development" and prod[cm]["data"]["XLAM_ENV"] == "production"


def test_crds_in_both_renders_are_ours(rendered) -> None:
    ours = {c["metadata"]["name"]: c for c in all_crds()}
    for ov in OVERLAYS:
        for tool in ("kustomize", "helm"):
            crds = {o["metadata"]["name"]: o for o in rendered[ov][tool] if o["kind"] == "CustomResourceDefinition"}
            assert crds.keys() == ours.keys()
            for name, crd in crds.items():
                assert crd["spec"] == ours[name]["spec"]


def test_helm_lint_and_values_schema(helm: Path) -> None:
    chart = ROOT / "charts" / "xlam"
    for values in ("values.yaml", "values-dev.yaml", "values-prod.yaml"):
        r = subprocess.run([str(helm), "lint", "--strict", str(chart), "-f", str(chart / values)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    bad = subprocess.run([str(helm), "template", "x", str(chart), "--set", "api.replicas=0"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "replicas" in bad.stderr
    bad = subprocess.run([str(helm), "template", "x", str(chart), "--set", "config.env=staging"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0


def all_objects(rendered) -> list[dict[str, Any]]:
    seen: dict[tuple, dict[str, Any]] = {}
    for ov in OVERLAYS:
        for tool in ("kustomize", "helm"):
            for obj in rendered[ov][tool]:
                seen.setdefault((ov, *key(obj)), obj)
    return list(seen.values())


def test_every_object_passes_strict_core_schema_validation(rendered) -> None:
    for obj in all_objects(rendered):
        kubernetes_validate.validate(obj, "1.35.0", strict=True)


def pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj["kind"] in WORKLOADS:
        return [obj["spec"]["template"]["spec"]]
    return []


def test_restricted_pod_security_probes_and_resources(rendered) -> None:
    checked = 0
    for obj in all_objects(rendered):
        for pod in pod_specs(obj):
            checked += 1
            name = obj["metadata"]["name"]
            psc = pod["securityContext"]
            assert psc["runAsNonRoot"] is True and psc["runAsUser"] != 0, name
            assert psc["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert pod["automountServiceAccountToken"] is (name in API_TOKEN_PODS), name
            for v in pod.get("volumes", []):
                assert set(v) - {"name"} <= {"configMap", "emptyDir", "persistentVolumeClaim", "secret",
                                             "projected", "downwardAPI", "csi", "ephemeral"}, (name, v)
            for c in [*pod.get("initContainers", []), *pod["containers"]]:
                sc = c["securityContext"]
                assert sc["allowPrivilegeEscalation"] is False, (name, c["name"])
                assert sc["readOnlyRootFilesystem"] is True, (name, c["name"])
                assert sc["capabilities"] == {"drop": ["ALL"]}, (name, c["name"])
                assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
                res = c["resources"]
                assert {"cpu", "memory"} <= set(res["requests"]) and {"cpu", "memory"} <= set(res["limits"])
                assert "hostPort" not in str(c.get("ports", []))
            for c in pod["containers"]:
                assert "livenessProbe" in c and "readinessProbe" in c, (name, c["name"])
    assert checked == 8  # dev: api, worker, operator, redis, postgres; prod: api, worker, operator


def test_pdbs_network_policies_and_operator_rules(rendered) -> None:
    for ov in OVERLAYS:
        objs = rendered[ov]["kustomize"]
        pdb_selectors = [o["spec"]["selector"]["matchLabels"] for o in objs if o["kind"] == "PodDisruptionBudget"]
        for d in (o for o in objs if o["kind"] == "Deployment"):
            if d["spec"].get("replicas", 1) >= 2:
                assert d["spec"]["selector"]["matchLabels"] in pdb_selectors, d["metadata"]["name"]
        deny = [o for o in objs if o["kind"] == "NetworkPolicy" and o["spec"]["podSelector"] == {}
                and set(o["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not o["spec"].get("ingress")
                and not o["spec"].get("egress")]
        assert len(deny) == 1
        pods = {o["metadata"]["name"] for o in objs if o["kind"] in WORKLOADS}
        policed = {o["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
                   for o in objs if o["kind"] == "NetworkPolicy"}
        assert pods <= policed, pods - policed
        op = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "xlam-operator")
        assert op["spec"]["replicas"] == 1 and op["spec"]["strategy"] == {"type": "Recreate"}


def test_rbac_least_privilege(rendered) -> None:
    for obj in all_objects(rendered):
        if obj["kind"] not in ("Role", "ClusterRole"):
            continue
        for rule in obj["rules"]:
            for field in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule.get(field, []), (obj["metadata"]["name"], rule)
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])
            if "secrets" in rule["resources"]:
                raise AssertionError(f"{obj['metadata']['name']} grants secrets access")
            if "pods" in rule["resources"]:
                assert "create" not in rule["verbs"]
        if obj["kind"] == "ClusterRole":
            assert all(r["verbs"] == ["get", "list", "watch"] for r in obj["rules"])
    # each rule is commented in the source
    text = (ROOT / "manifests" / "base" / "rbac.yaml").read_text()
    assert text.count("  # ") >= 6


def test_checkov_has_no_failed_checks(rendered, checkov: Path, tmp_path: Path) -> None:
    for ov in OVERLAYS:
        for tool in ("kustomize", "helm"):
            (tmp_path / f"{ov}-{tool}.yaml").write_text(yaml.safe_dump_all(rendered[ov][tool]))
    r = subprocess.run([str(checkov), "-d", str(tmp_path), "--config-file", str(ROOT / "manifests" / ".checkov.yaml"),
                        "--quiet", "-o", "json"], capture_output=True, text=True, timeout=120)
    import json

    report = json.loads(r.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c for rep in reports for c in rep["results"]["failed_checks"]]
    passed = sum(rep["summary"]["passed"] for rep in reports)
    assert not failed, [(c["check_id"], c["resource"]) for c in failed]
    assert passed > 500 and r.returncode == 0


# ------------------------------------------------------------------ one image setting
def images(objs: list[dict[str, Any]]) -> set[str]:
    out = set()
    for obj in objs:
        for pod in pod_specs(obj):
            for c in [*pod.get("initContainers", []), *pod["containers"]]:
                if c["image"].startswith(IMAGE_REPOSITORY):
                    out.add(c["image"])
                for e in c.get("env", []):
                    if e.get("name") == "XLAM_IMAGE":
                        out.add(e["value"])
    return out


def test_image_is_one_setting_everywhere(rendered, kubectl: Path, helm: Path, tmp_path: Path) -> None:
    for ov in OVERLAYS:
        for tool in ("kustomize", "helm"):
            assert images(rendered[ov][tool]) == {DEFAULT_IMAGE}
    # Changing the one kustomize `images:` entry changes API, worker, operator AND run pods.
    overlay = tmp_path / "overlay"
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    overlay = tmp_path / "manifests" / "overlays" / "dev"
    text = (overlay / "kustomization.yaml").read_text().replace("newTag: 0.1.0", "newTag: 9.9.9")
    (overlay / "kustomization.yaml").write_text(text)
    out = subprocess.run([str(kubectl), "kustomize", str(overlay)], check=True, capture_output=True, text=True).stdout
    assert images([d for d in yaml.safe_load_all(out) if d]) == {f"{IMAGE_REPOSITORY}:9.9.9"}
    # Helm: image.repository/tag, and the digest form.
    objs = helm_template(helm, "dev", "--set", "image.tag=9.9.9")
    assert images(objs) == {f"{IMAGE_REPOSITORY}:9.9.9"}
    digest = "sha256:" + "a" * 64
    objs = helm_template(helm, "prod", "--set", f"image.digest={digest}")
    assert images(objs) == {f"{IMAGE_REPOSITORY}@{digest}"}


def test_pipelines_compile_with_the_same_image() -> None:
    from pipelines.settings import DEFAULT_IMAGE as PIPELINES_IMAGE

    assert PIPELINES_IMAGE == DEFAULT_IMAGE
    for path in sorted((ROOT / "pipelines" / "compiled").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            for line in yaml.safe_dump(doc).splitlines():
                if line.strip().startswith("image:"):
                    assert line.split("image:", 1)[1].strip() == DEFAULT_IMAGE, (path.name, line)


def test_helm_release_namespace_reaches_every_reference(helm: Path) -> None:
    chart = ROOT / "charts" / "xlam"
    out = subprocess.run([str(helm), "template", "x", str(chart), "--namespace", "ml-platform", "--include-crds"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    objs = [d for d in yaml.safe_load_all(out) if d]
    for obj in objs:
        if obj["kind"] not in ("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"):
            assert obj["metadata"]["namespace"] == "ml-platform", key(obj)
    text = yaml.safe_dump_all(objs)
    assert "xlam.svc" not in text and "namespace: xlam\n" not in text
    op = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "xlam-operator")
    args = op["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--namespace") + 1] == "ml-platform"
    for binding in (o for o in objs if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        assert all(s["namespace"] == "ml-platform" for s in binding["subjects"])
