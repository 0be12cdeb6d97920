"""RBAC for real: ServiceAccount tokens (TokenRequest API) of the dev overlay's ServiceAccounts,
bound by manifests/base/rbac.yaml, against a real kube-apiserver with ``--authorization-mode=RBAC``.
What each component needs is allowed; what it must not touch is Forbidden by the server. (That
the operator can do its whole job is shown end to end in test_real_operator.py, which runs it on
its ServiceAccount's token; the backend likewise as the worker.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.k8s.realserver import MERGE, RealApiServer

pytestmark = pytest.mark.apiserver

NS = "xlam"
XLAM = "/apis/xlam.ai/v1alpha1/namespaces"
DRY = {"dryRun": "All"}


@pytest.fixture(scope="module")
def tokens(apiserver: RealApiServer, xlam_installed: dict[str, Any]) -> dict[str, str]:
    """TokenRequest tokens (no controller-manager here, so no token Secrets) of the overlay's SAs."""
    return {sa: apiserver.sa_token(NS, f"xlam-{sa}") for sa in ("operator", "worker", "api", "run")}


@pytest.fixture(scope="module")
def as_sa(apiserver: RealApiServer, tokens: dict[str, str]) -> Iterator[dict[str, httpx.Client]]:
    clients = {sa: apiserver.http(token) for sa, token in tokens.items()}
    yield clients
    for c in clients.values():
        c.close()


def tr(name: str = "rbac-probe") -> dict[str, Any]:
    return {"apiVersion": "xlam.ai/v1alpha1", "kind": "TrainingRun", "metadata": {"name": name},
            "spec": {"recipe": "tiny", "storage": {"uri": "s3://b"}}}


def rayjob(name: str = "rbac-probe") -> dict[str, Any]:
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name},
            "spec": {"entrypoint": "python -c 1"}}


def assert_forbidden(r: httpx.Response, sa: str) -> None:
    assert r.status_code == 403, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"
    body = r.json()
    assert body["reason"] == "Forbidden" and f"system:serviceaccount:{NS}:xlam-{sa}" in body["message"]


def assert_allowed(r: httpx.Response) -> None:
    assert r.status_code < 400 or r.status_code in (404, 409), \
        f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"


def test_tokens_authenticate_as_the_service_accounts(apiserver: RealApiServer, admin: httpx.Client,
                                                     tokens: dict[str, str]) -> None:
    for sa, token in tokens.items():
        r = admin.post("/apis/authentication.k8s.io/v1/tokenreviews", json={
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})
        assert r.status_code == 201, r.text
        user = r.json()["status"]["user"]
        assert user["username"] == f"system:serviceaccount:{NS}:xlam-{sa}"
        assert "system:serviceaccounts:xlam" in user["groups"]
    with apiserver.http("not-a-token") as anon:  # a bad token is 401 (unauthenticated), not 403
        assert anon.get(f"/api/v1/namespaces/{NS}/configmaps").status_code == 401


def test_operator_can_do_its_job(as_sa: dict[str, httpx.Client], admin: httpx.Client) -> None:
    op = as_sa["operator"]
    assert_allowed(op.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"))  # kopf's scan
    assert_allowed(op.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/trainingruns.xlam.ai"))
    assert_allowed(op.get("/api/v1/namespaces"))  # kopf observes namespaces
    for plural in ("trainingruns", "evaluationruns", "synthesisruns"):
        assert_allowed(op.get(f"{XLAM}/{NS}/{plural}", params={"watch": "false"}))
    assert_allowed(op.post(f"/apis/ray.io/v1/namespaces/{NS}/rayjobs", params=DRY, json=rayjob()))
    assert_allowed(op.get(f"/apis/ray.io/v1/namespaces/{NS}/rayjobs"))
    assert_allowed(op.post(f"/api/v1/namespaces/{NS}/configmaps", params=DRY,
                           json={"metadata": {"name": "probe"}, "data": {"a": "b"}}))
    assert_allowed(op.get(f"/apis/batch/v1/namespaces/{NS}/jobs"))
    assert_allowed(op.post(f"/api/v1/namespaces/{NS}/events", params=DRY, json={
        "metadata": {"name": "probe.1"}, "involvedObject": {"kind": "TrainingRun", "namespace": NS, "name": "x"},
        "reason": "Probe", "message": "m", "type": "Normal"}))
    admin.post(f"{XLAM}/{NS}/trainingruns", json=tr("rbac-status")).raise_for_status()
    assert_allowed(op.patch(f"{XLAM}/{NS}/trainingruns/rbac-status/status", headers=MERGE,
                            json={"status": {"phase": "Queued"}}))
    assert_allowed(op.patch(f"{XLAM}/{NS}/trainingruns/rbac-status", headers=MERGE,
                            json={"metadata": {"finalizers": ["xlam.ai/operator-cleanup"]}}))
    assert_allowed(op.patch(f"{XLAM}/{NS}/trainingruns/rbac-status", headers=MERGE,
                            json={"metadata": {"finalizers": None}}))
    admin.delete(f"{XLAM}/{NS}/trainingruns/rbac-status").raise_for_status()


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", f"/api/v1/namespaces/{NS}/secrets", None),
    ("GET", f"/api/v1/namespaces/{NS}/secrets/xlam-secrets", None),
    ("GET", "/api/v1/namespaces/kube-system/secrets", None),
    ("GET", "/api/v1/secrets", None),
    ("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/trainingruns.xlam.ai", None),
    ("DELETE", "/api/v1/namespaces/default", None),
    ("DELETE", f"/apis/ray.io/v1/namespaces/{NS}/rayjobs", None),  # delete collection
    ("GET", "/apis/ray.io/v1/rayjobs", None),  # cluster-wide list
    ("POST", "/apis/ray.io/v1/namespaces/default/rayjobs", rayjob()),
    ("POST", f"/api/v1/namespaces/{NS}/pods", {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "i"}]}}),
    ("GET", f"/api/v1/namespaces/{NS}/configmaps", None),  # no list: children are looked up by name
    ("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/rolebindings", {
        "metadata": {"name": "grab"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                                  "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "xlam-operator", "namespace": NS}]}),
    ("DELETE", f"{XLAM}/{NS}/trainingruns/any", None),
    ("POST", f"{XLAM}/{NS}/trainingruns", tr()),
])
def test_operator_is_forbidden(as_sa: dict[str, httpx.Client], method: str, path: str, body: Any) -> None:
    r = as_sa["operator"].request(method, path, params=DRY if method != "GET" else None, json=body)
    assert_forbidden(r, "operator")


def test_worker_can_submit_follow_and_cancel(as_sa: dict[str, httpx.Client], admin: httpx.Client) -> None:
    wk = as_sa["worker"]
    assert_allowed(wk.post(f"{XLAM}/{NS}/trainingruns", params=DRY, json=tr()))
    admin.post(f"{XLAM}/{NS}/trainingruns", json=tr("rbac-worker")).raise_for_status()
    assert_allowed(wk.get(f"{XLAM}/{NS}/trainingruns", params={"labelSelector": "xlam.ai/run-id=x"}))
    assert_allowed(wk.patch(f"{XLAM}/{NS}/trainingruns/rbac-worker", headers=MERGE, json={"spec": {"cancel": True}}))
    assert_allowed(wk.get(f"/api/v1/namespaces/{NS}/pods", params={"labelSelector": "xlam.ai/run=x"}))
    r = wk.get(f"/api/v1/namespaces/{NS}/pods/none/log")
    assert r.status_code == 404  # allowed: the pod does not exist (not 403)
    assert_allowed(wk.delete(f"{XLAM}/{NS}/trainingruns/rbac-worker"))


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", f"/api/v1/namespaces/{NS}/secrets", None),
    ("GET", "/api/v1/namespaces/kube-system/secrets", None),
    ("POST", f"/apis/ray.io/v1/namespaces/{NS}/rayjobs", rayjob()),
    ("POST", f"/apis/batch/v1/namespaces/{NS}/jobs", {"metadata": {"name": "j"}}),
    ("POST", f"/api/v1/namespaces/{NS}/pods", {"metadata": {"name": "p"}}),
    ("POST", f"/api/v1/namespaces/{NS}/pods/p/exec", None),
    ("PATCH", f"{XLAM}/{NS}/trainingruns/x/status", {"status": {"phase": "Succeeded"}}),  # status is the operator's
    ("POST", f"{XLAM}/default/trainingruns", tr()),
    ("GET", "/apis/xlam.ai/v1alpha1/trainingruns", None),  # cluster-wide
    ("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/trainingruns.xlam.ai", None),
    ("GET", f"/api/v1/namespaces/{NS}/configmaps/xlam-config", None),
])
def test_worker_is_forbidden(as_sa: dict[str, httpx.Client], method: str, path: str, body: Any) -> None:
    headers = MERGE if method == "PATCH" else None
    r = as_sa["worker"].request(method, path, params=DRY if method not in ("GET",) else None, json=body,
                                headers=headers)
    assert_forbidden(r, "worker")


@pytest.mark.parametrize("sa", ["api", "run"])
@pytest.mark.parametrize(("method", "path"), [
    ("GET", f"{XLAM}/{NS}/trainingruns"),
    ("GET", f"/api/v1/namespaces/{NS}/configmaps/xlam-config"),
    ("GET", f"/api/v1/namespaces/{NS}/secrets/xlam-secrets"),
    ("GET", f"/api/v1/namespaces/{NS}/pods"),
    ("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"),
])
def test_api_and_run_pods_have_no_kubernetes_access(as_sa: dict[str, httpx.Client], sa: str, method: str,
                                                    path: str) -> None:
    assert_forbidden(as_sa[sa].request(method, path), sa)
