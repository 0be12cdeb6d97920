"""A real Kubernetes API server for the tests: etcd + kube-apiserver v1.20.2, started and stopped by
``scripts/k8s-apiserver.sh`` (which builds the binary from Debian's source package when it is not
cached yet). No kubelet, controller-manager or scheduler: docs/KUBERNETES.md says what that means.

Helpers: raw REST (``httpx``, status codes and bodies exactly as the server returns them), the
project's own ``platform_contracts.k8s.kube.KubeApi`` on any token, ServiceAccount tokens through the
TokenRequest API (the 1.20 server has no controller-manager, so no token Secrets), kubeconfigs.
"""

from __future__ import annotations

import copy
import ssl
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "k8s-apiserver.sh"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
MERGE = {"Content-Type": "application/merge-patch+json"}


def wait_for(fn: Callable[[], Any], what: str, timeout: float = 60.0, interval: float = 0.2) -> Any:
    end = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last={last!r}")


class RealApiServer:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        self.env: dict[str, str] = {}

    def start(self) -> RealApiServer:
        # Builds kube-apiserver first when it is not cached (~14 min); fails loudly, never skips.
        proc = subprocess.run(["bash", str(SCRIPT), "start", str(self.dir)], capture_output=True, text=True,
                              timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"{SCRIPT} start failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
        for line in (self.dir / "env").read_text().splitlines():
            k, _, v = line.partition("=")
            self.env[k] = v
        return self

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", str(self.dir)], check=False, timeout=60)

    @property
    def url(self) -> str:
        return self.env["XLAM_K8S_SERVER"]

    @property
    def ca(self) -> str:
        return self.env["XLAM_K8S_CA"]

    @property
    def admin_token(self) -> str:
        return self.env["XLAM_K8S_ADMIN_TOKEN"]

    @property
    def version(self) -> str:
        return self.env["XLAM_K8S_VERSION"]

    def http(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=self.ca), timeout=30,
                            headers={"Authorization": f"Bearer {token or self.admin_token}"})

    def kubeconfig(self, path: Path, token: str | None = None, namespace: str = "default") -> Path:
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "real", "cluster": {"server": self.url, "certificate-authority": self.ca}}],
            "users": [{"name": "u", "user": {"token": token or self.admin_token}}],
            "contexts": [{"name": "c", "context": {"cluster": "real", "user": "u", "namespace": namespace}}]}))
        path.chmod(0o600)
        return path

    def kube(self, token: str | None = None) -> Any:
        """The project's own client (``platform_contracts.k8s.kube.KubeApi``) authenticated with ``token``."""
        from kubernetes import client

        from platform_contracts.k8s.kube import KubeApi

        cfg = client.Configuration()
        cfg.host = self.url
        cfg.ssl_ca_cert = self.ca
        cfg.api_key = {"authorization": token or self.admin_token}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        return KubeApi(client.ApiClient(cfg))

    def sa_token(self, namespace: str, name: str, seconds: int = 7200) -> str:
        """A token for ServiceAccount ``namespace/name`` from the TokenRequest API."""
        with self.http() as h:
            r = h.post(f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
                       json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                             "spec": {"expirationSeconds": seconds}})
            r.raise_for_status()
            return str(r.json()["status"]["token"])


def ensure_namespace(h: httpx.Client, name: str, labels: dict[str, str] | None = None) -> None:
    r = h.post("/api/v1/namespaces", json={"metadata": {"name": name, "labels": labels or {}}})
    assert r.status_code in (201, 409), r.text


def without_cel(crd: dict[str, Any]) -> dict[str, Any]:
    """The CRD with its CEL rules removed: ``x-kubernetes-validations`` arrived in Kubernetes 1.23
    (beta 1.25); a 1.20 server drops the field and kubectl's schema check rejects it."""
    out = copy.deepcopy(crd)

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("x-kubernetes-validations", None)
            for v in node.values():
                strip(v)
        elif isinstance(node, list):
            for v in node:
                strip(v)

    strip(out)
    return out


def install_crds(h: httpx.Client, crds: Iterable[dict[str, Any]], timeout: float = 60) -> list[dict[str, Any]]:
    """Create (or replace) CRDs and wait until each is Established; returns the stored objects."""
    names = []
    for crd in crds:
        r = h.post(CRD_PATH, json=crd)
        if r.status_code == 409:
            cur = h.get(f"{CRD_PATH}/{crd['metadata']['name']}").json()
            body = {**crd, "metadata": {**crd["metadata"], "resourceVersion": cur["metadata"]["resourceVersion"]}}
            r = h.put(f"{CRD_PATH}/{crd['metadata']['name']}", json=body)
        assert r.status_code in (200, 201), f"{crd['metadata']['name']}: {r.status_code} {r.text[:2000]}"
        names.append(crd["metadata"]["name"])

    def established(name: str) -> dict[str, Any] | None:
        obj = h.get(f"{CRD_PATH}/{name}").json()
        conds = {c["type"]: c["status"] for c in (obj.get("status") or {}).get("conditions") or []}
        return obj if conds.get("Established") == "True" and conds.get("NamesAccepted") == "True" else None

    stored = [wait_for(lambda n=n: established(n), f"CRD {n} Established", timeout) for n in names]
    # Discovery lags Established by a moment: wait until each kind is served.
    for obj in stored:
        g, plural = obj["spec"]["group"], obj["spec"]["names"]["plural"]
        v = next(v["name"] for v in obj["spec"]["versions"] if v.get("served"))
        wait_for(lambda g=g, v=v, p=plural: h.get(f"/apis/{g}/{v}/{p}").status_code == 200, f"{plural} served", timeout)
    return stored


# API versions the rendered manifests use that a 1.20 server does not serve (1.20 has only
# policy/v1beta1 PDBs; policy/v1 arrived in 1.21). These objects are validated with
# kubernetes-validate at a current Kubernetes version instead (test_real_manifests.py).
UNSERVED_1_20 = {("policy/v1", "PodDisruptionBudget")}


def served_by_1_20(objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects a 1.20 server serves, CRDs without their CEL rules (see ``without_cel``)."""
    out = []
    for obj in objs:
        if (obj["apiVersion"], obj["kind"]) in UNSERVED_1_20:
            continue
        out.append(without_cel(obj) if obj["kind"] == "CustomResourceDefinition" else obj)
    return out


def kubectl_run(kubectl: Path, kubeconfig: Path, *args: str, check: bool = True,
                stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(kubectl), "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True,
                          input=stdin, timeout=180)
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} -> {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


class KubeletStandIn:
    """The one kubelet endpoint the project reads: ``/containerLogs/{ns}/{pod}/{container}`` over
    HTTPS. The real API server proxies ``pods/{name}/log`` to it (authorisation, node lookup and the
    PodLogOptions are the server's own); with no kubelet here, a Node object points at this server.
    Like a 1.20 API server without ``--kubelet-certificate-authority``, no kubelet certificate check."""

    def __init__(self, work: Path) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlparse

        cert, key = work / "kubelet.crt", work / "kubelet.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        self.logs: dict[tuple[str, str, str], list[str]] = {}  # (ns, pod, container) -> "RFC3339 text" lines
        self.requests: list[str] = []
        logs, requests = self.logs, self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                requests.append(self.path)
                parts = url.path.strip("/").split("/")
                q = {k: v[-1] for k, v in parse_qs(url.query).items()}
                if len(parts) != 4 or parts[0] != "containerLogs" or tuple(parts[1:]) not in logs:
                    self.send_response(404)
                    self.end_headers()
                    return
                lines = logs[(parts[1], parts[2], parts[3])]
                if q.get("sinceTime"):
                    lines = [ln for ln in lines if ln.split(" ", 1)[0] >= q["sinceTime"]]
                if q.get("tailLines"):
                    lines = lines[-int(q["tailLines"]):]
                if q.get("timestamps") != "true":
                    lines = [ln.split(" ", 1)[1] for ln in lines]
                data = "".join(f"{ln}\n" for ln in lines).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def register_node(self, h: httpx.Client, name: str) -> str:
        r = h.post("/api/v1/nodes", json={"metadata": {"name": name}})
        assert r.status_code in (201, 409), r.text
        r = h.patch(f"/api/v1/nodes/{name}/status", headers=MERGE, json={"status": {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}}}})
        assert r.status_code == 200, r.text
        return name

    def stop(self) -> None:
        self.httpd.shutdown()

