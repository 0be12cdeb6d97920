"""A thin generic Kubernetes REST client over ``kubernetes.client.ApiClient`` (any kind by path).

Errors are classified into ``KubeError(status, retryable)`` so handlers can turn them into
``kopf.TemporaryError`` / ``kopf.PermanentError``.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

RESOURCES: dict[str, tuple[str, str]] = {  # kind -> (api prefix, plural)
    "ConfigMap": ("/api/v1", "configmaps"),
    "Pod": ("/api/v1", "pods"),
    "Job": ("/apis/batch/v1", "jobs"),
    "RayJob": ("/apis/ray.io/v1", "rayjobs"),
    "TrainingRun": ("/apis/xlam.ai/v1alpha1", "trainingruns"),
    "SynthesisRun": ("/apis/xlam.ai/v1alpha1", "synthesisruns"),
    "EvaluationRun": ("/apis/xlam.ai/v1alpha1", "evaluationruns"),
}


class KubeError(RuntimeError):
    def __init__(self, message: str, *, status: int | None, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


def retryable_status(status: int | None) -> bool:
    """5xx, 429 (throttled), 409 (conflict: re-read and retry) and network errors are transient;
    404 on a kind means its CRD (e.g. KubeRay) is not installed yet: retried with a long delay."""
    return status is None or status >= 500 or status in (404, 409, 429)


@dataclass
class KubeApi:
    api_client: Any  # kubernetes.client.ApiClient

    @classmethod
    def from_environment(cls) -> KubeApi:
        from kubernetes import client, config

        try:
            config.load_incluster_config()
        except config.ConfigException:
            config.load_kube_config()
        return cls(client.ApiClient())

    def _path(self, kind: str, namespace: str, name: str | None = None, sub: str | None = None) -> str:
        prefix, plural = RESOURCES[kind]
        path = f"{prefix}/namespaces/{namespace}/{plural}"
        if name:
            path += f"/{name}"
        if sub:
            path += f"/{sub}"
        return path

    def _call(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
              query: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        from kubernetes.client.rest import ApiException

        try:
            data = self.api_client.call_api(
                path, method, query_params=query or [], body=body,
                header_params={"Accept": "application/json", "Content-Type": content_type},
                auth_settings=["BearerToken"], response_type="object", _return_http_data_only=True,
                _preload_content=True)
        except ApiException as exc:
            reason = exc.reason
            with contextlib.suppress(ValueError):
                reason = json.loads(exc.body or "{}").get("message") or reason
            raise KubeError(f"{method} {path}: {exc.status} {reason}", status=exc.status,
                            retryable=retryable_status(exc.status)) from exc
        except OSError as exc:  # urllib3 connection errors derive from OSError
            raise KubeError(f"{method} {path}: {exc}", status=None, retryable=True) from exc
        return data if isinstance(data, dict) else {}

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", self._path(obj["kind"], obj["metadata"]["namespace"]), obj)

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", self._path(kind, namespace, name))
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    def delete(self, kind: str, namespace: str, name: str) -> bool:
        """Delete with foreground-independent background propagation; False when already gone."""
        try:
            self._call("DELETE", self._path(kind, namespace, name),
                       {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})
        except KubeError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def list(self, kind: str, namespace: str, label_selector: str = "") -> list[dict[str, Any]]:
        query = [("labelSelector", label_selector)] if label_selector else []
        return list(self._call("GET", self._path(kind, namespace), query=query).get("items") or [])

    def pod_log(self, namespace: str, pod: str, *, since_time: str | None = None, container: str | None = None,
                tail_lines: int = 5000) -> str:
        """Pod log text with RFC 3339 timestamps on each line (``timestamps=true``)."""
        from kubernetes.client.rest import ApiException

        query = [("timestamps", "true"), ("tailLines", str(tail_lines))]
        if since_time:
            query.append(("sinceTime", since_time))
        if container:
            query.append(("container", container))
        try:
            resp = self.api_client.call_api(
                self._path("Pod", namespace, pod, "log"), "GET", query_params=query,
                # */* as the generated client sends: a real API server answers 406 to Accept: text/plain.
                header_params={"Accept": "*/*"}, auth_settings=["BearerToken"], response_type="str",
                _return_http_data_only=True, _preload_content=False)
        except ApiException as exc:
            if exc.status in (400, 404):  # container not started yet / pod gone
                return ""
            raise KubeError(f"GET log {pod}: {exc.status} {exc.reason}", status=exc.status,
                            retryable=retryable_status(exc.status)) from exc
        data = resp.data
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)

    def patch_status(self, kind: str, namespace: str, name: str, status: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", self._path(kind, namespace, name, "status"), {"status": status},
                          content_type="application/merge-patch+json")

    def patch(self, kind: str, namespace: str, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", self._path(kind, namespace, name), patch,
                          content_type="application/merge-patch+json")
