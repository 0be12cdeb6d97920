"""A small client for the Kubeflow Pipelines REST API v2beta1 (runs, pipelines, experiments).

httpx-based with an injectable ``httpx.Client`` (tests pass a ``MockTransport`` or point it at a
real server). Only what the operator needs: resolve a pipeline version, find-or-create an experiment,
find a run by display name (KFP has no idempotency key), create, get and terminate runs.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

API = "/apis/v2beta1"


class KfpError(RuntimeError):
    """A KFP API error; ``retryable`` tells a transient failure (5xx, 429, network) from a permanent one."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class KfpClient:
    def __init__(self, endpoint: str, *, token: str | None = None, client: httpx.Client | None = None,
                 timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = client or httpx.Client(base_url=endpoint.rstrip("/"), headers=headers, timeout=timeout)
        self.endpoint = endpoint.rstrip("/")

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            resp = self._http.request(method, API + path, **kw)
        except httpx.HTTPError as exc:
            raise KfpError(f"KFP API unreachable: {exc}", retryable=True) from exc
        if resp.status_code >= 400:
            retryable = resp.status_code >= 500 or resp.status_code == 429
            raise KfpError(f"KFP {method} {path}: HTTP {resp.status_code}: {resp.text[:300]}",
                           status=resp.status_code, retryable=retryable)
        return resp.json() if resp.content else {}

    @staticmethod
    def _filter(key: str, value: str) -> str:
        return json.dumps({"predicates": [{"key": key, "operation": "EQUALS", "string_value": value}]})

    def resolve_pipeline(self, name: str, pipeline_id: str | None = None,
                         version_id: str | None = None) -> tuple[str, str]:
        """(pipeline_id, version_id): by explicit ids, else by name and its newest version."""
        if not pipeline_id:
            try:
                pipeline_id = str(self._request("GET", f"/pipelines/names/{name}")["pipeline_id"])
            except KfpError as exc:
                if exc.status == 404:
                    raise KfpError(f"pipeline {name!r} is not uploaded to KFP", status=404) from exc
                raise
        if not version_id:
            versions = self._request("GET", f"/pipelines/{pipeline_id}/versions",
                                     params={"page_size": 1, "sort_by": "created_at desc"}).get(
                "pipeline_versions") or []
            if not versions:
                raise KfpError(f"pipeline {name!r} has no versions", status=404)
            version_id = str(versions[0]["pipeline_version_id"])
        return str(pipeline_id), str(version_id)

    def ensure_experiment(self, name: str) -> str:
        found = self._request("GET", "/experiments",
                              params={"filter": self._filter("display_name", name), "page_size": 1})
        for exp in found.get("experiments") or []:
            return str(exp["experiment_id"])
        return str(self._request("POST", "/experiments", json={"display_name": name})["experiment_id"])

    def find_run(self, display_name: str, experiment_id: str | None = None) -> dict[str, Any] | None:
        params: dict[str, Any] = {"filter": self._filter("display_name", display_name), "page_size": 2}
        if experiment_id:
            params["experiment_id"] = experiment_id
        runs = self._request("GET", "/runs", params=params).get("runs") or []
        return runs[0] if runs else None

    def create_run(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/runs", json=body)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self._request("GET", f"/runs/{run_id}")

    def terminate_run(self, run_id: str) -> None:
        try:
            self._request("POST", f"/runs/{run_id}:terminate")
        except KfpError as exc:
            if exc.status != 404:
                raise

    def run_url(self, run_id: str) -> str:
        return f"{self.endpoint}/#/runs/details/{run_id}"
