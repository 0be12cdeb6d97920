"""The one typed Python client of the control-plane REST API (retries on transient failures).

Used by the ``xlam api`` commands, the kfp pipeline's register step, the operator's run
registration (``operators.control_plane``) and the quickstart.

>>> c = XlamClient("http://127.0.0.1:8000", token="xlam_...")
>>> run = c.submit_run("fc-team", "data-pipeline", {"source": "bfcl", ...})
>>> c.wait_run("fc-team", run["id"])["state"]

POSTs that create runs carry an ``Idempotency-Key`` (generated when not given), so retrying a
submit after a timeout never creates a second run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from platform_contracts.outputs import RegisteredOutputs
from platform_contracts.runstate import TERMINAL


class ApiClientError(Exception):
    """A non-2xx answer: ``status``, ``code``, ``message``, ``details`` from the error body."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, ApiClientError) and exc.status in (502, 503, 504)


class XlamClient:
    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30.0, retries: int = 4,
                 http: httpx.Client | None = None) -> None:
        """``retries``: attempts for retryable requests (1: never retry); ``http``: a ready client
        (tests pass one with a mock transport)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        self.retries = retries

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> XlamClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- transport ---------------------------------------------------------------------------
    def request(self, method: str, path: str, *, retry: bool | None = None, **kwargs: Any) -> Any:
        """Send a request; retry transient failures for safe or idempotency-keyed requests."""
        idempotent = method in ("GET", "PUT", "DELETE", "HEAD") or "Idempotency-Key" in (kwargs.get("headers") or {})
        attempts = self.retries if (idempotent if retry is None else retry) else 1
        for attempt in Retrying(stop=stop_after_attempt(attempts), wait=wait_exponential(0.2, max=5),
                                retry=retry_if_exception(_transient), reraise=True):
            with attempt:
                resp = self.http.request(method, path, **kwargs)
                if resp.status_code >= 400:
                    try:
                        body = resp.json()
                    except ValueError:
                        body = {"code": "error", "message": resp.text[:500]}
                    raise ApiClientError(resp.status_code, body.get("code", "error"), body.get("message", ""),
                                         body.get("details"))
                if resp.status_code == 204 or not resp.content:
                    return None
                return resp.json()
        raise AssertionError("unreachable")

    def paginate(self, path: str, params: dict[str, Any] | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
        params = dict(params or {})
        seen = 0
        while True:
            page = self.request("GET", path, params={k: v for k, v in params.items() if v is not None})
            for item in page["data"]:
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if not page.get("next_cursor") or not page["data"]:
                return
            params["cursor"] = page["next_cursor"]

    # --- identity and projects ----------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        return self.request("GET", "/v1/me")  # type: ignore[no-any-return]

    def generator_endpoints(self) -> list[dict[str, Any]]:
        """Names (and models) of the generator endpoints a run may use as ``generator.endpoint``."""
        return self.request("GET", "/v1/generator-endpoints")  # type: ignore[no-any-return]

    def create_project(self, name: str, description: str = "") -> dict[str, Any]:
        return self.request("POST", "/v1/projects", json={"name": name, "description": description})  # type: ignore[no-any-return]

    def list_projects(self) -> list[dict[str, Any]]:
        return list(self.paginate("/v1/projects"))

    def set_member(self, project: str, user: str, role: str, can_promote: bool = False) -> dict[str, Any]:
        return self.request("PUT", f"/v1/projects/{project}/members/{user}",  # type: ignore[no-any-return]
                            json={"role": role, "can_promote": can_promote})

    def create_user(self, name: str, is_admin: bool = False) -> dict[str, Any]:
        return self.request("POST", "/v1/users", json={"name": name, "is_admin": is_admin})  # type: ignore[no-any-return]

    def create_token(self, name: str = "default", expires_in_days: int | None = None) -> dict[str, Any]:
        return self.request("POST", "/v1/tokens", json={"name": name, "expires_in_days": expires_in_days})  # type: ignore[no-any-return]

    def revoke_token(self, token_id: str) -> dict[str, Any]:
        return self.request("DELETE", f"/v1/tokens/{token_id}")  # type: ignore[no-any-return]

    # --- datasets ------------------------------------------------------------------------------
    def list_datasets(self, project: str, name: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        return list(self.paginate(f"/v1/projects/{project}/datasets", {"name": name}, limit))

    def register_dataset(self, project: str, name: str, uri: str, *, description: str = "",
                         parent_ids: list[str] | None = None) -> dict[str, Any]:
        return self.request("POST", f"/v1/projects/{project}/datasets",  # type: ignore[no-any-return]
                            json={"name": name, "uri": uri, "description": description, "parent_ids": parent_ids or []})

    def upload_dataset(self, project: str, name: str, jsonl: bytes, description: str = "") -> dict[str, Any]:
        return self.request("POST", f"/v1/projects/{project}/datasets/upload",  # type: ignore[no-any-return]
                            params={"name": name, "description": description}, content=jsonl,
                            headers={"Content-Type": "application/x-ndjson"})

    def get_dataset(self, project: str, dataset_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/projects/{project}/datasets/{dataset_id}")  # type: ignore[no-any-return]

    def dataset_lineage(self, project: str, dataset_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/projects/{project}/datasets/{dataset_id}/lineage")  # type: ignore[no-any-return]

    # --- runs ----------------------------------------------------------------------------------
    def submit_run(self, project: str, kind: str, spec: dict[str, Any], *, name: str = "",
                   idempotency_key: str | None = None, backend: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, "name": name, "spec": spec}
        if backend:
            body["backend"] = backend
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return self.request("POST", f"/v1/projects/{project}/runs", json=body, headers=headers)  # type: ignore[no-any-return]

    def list_runs(self, project: str, *, kind: str | None = None, state: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
        return list(self.paginate(f"/v1/projects/{project}/runs", {"kind": kind, "state": state}, limit))

    def get_run(self, project: str, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/projects/{project}/runs/{run_id}")  # type: ignore[no-any-return]

    def run_outputs(self, project: str, run_id: str) -> RegisteredOutputs:
        """A finished run's outputs, typed: registered datasets and model versions (with the training
        history), evaluation metrics and the stages' summaries (empty while the run is not finished)."""
        return RegisteredOutputs.model_validate(self.get_run(project, run_id)["outputs"])

    def cancel_run(self, project: str, run_id: str) -> dict[str, Any]:
        return self.request("POST", f"/v1/projects/{project}/runs/{run_id}/cancel", retry=True)  # type: ignore[no-any-return]

    def retry_run(self, project: str, run_id: str) -> dict[str, Any]:
        return self.request("POST", f"/v1/projects/{project}/runs/{run_id}/retry")  # type: ignore[no-any-return]

    def run_events(self, project: str, run_id: str) -> list[dict[str, Any]]:
        return self.request("GET", f"/v1/projects/{project}/runs/{run_id}/events")  # type: ignore[no-any-return]

    def run_metrics(self, project: str, run_id: str) -> dict[str, list[dict[str, Any]]]:
        return self.request("GET", f"/v1/projects/{project}/runs/{run_id}/metrics")  # type: ignore[no-any-return]

    def run_logs(self, project: str, run_id: str, cursor: str | None = None, limit: int = 500) -> dict[str, Any]:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return self.request("GET", f"/v1/projects/{project}/runs/{run_id}/logs", params=params)  # type: ignore[no-any-return]

    def stream_logs(self, project: str, run_id: str) -> Iterator[str]:
        """Follow the logs (Server-Sent Events) until the run ends."""
        with self.http.stream("GET", f"/v1/projects/{project}/runs/{run_id}/logs/stream", timeout=None) as resp:
            if resp.status_code >= 400:
                resp.read()
                body = resp.json()
                raise ApiClientError(resp.status_code, body.get("code", ""), body.get("message", ""))
            event = "message"
            for line in resp.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    if event == "end":
                        return
                    yield orjson.loads(line[5:].strip())
                elif not line:
                    event = "message"

    def wait_run(self, project: str, run_id: str, *, timeout: float = 600, poll: float = 0.5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_run(project, run_id)
            if run["state"] in TERMINAL:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {run['state']} after {timeout}s")
            time.sleep(poll)

    # --- model registry ------------------------------------------------------------------------
    def create_model(self, project: str, name: str, description: str = "") -> dict[str, Any]:
        return self.request("POST", f"/v1/projects/{project}/models", json={"name": name, "description": description})  # type: ignore[no-any-return]

    def get_model(self, project: str, name: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/projects/{project}/models/{name}")  # type: ignore[no-any-return]

    def list_models(self, project: str, limit: int | None = None) -> list[dict[str, Any]]:
        return list(self.paginate(f"/v1/projects/{project}/models", limit=limit))

    def create_version(self, project: str, model: str, artifact_uri: str, **fields: Any) -> dict[str, Any]:
        return self.request("POST", f"/v1/projects/{project}/models/{model}/versions",  # type: ignore[no-any-return]
                            json={"artifact_uri": artifact_uri, **fields})

    def list_versions(self, project: str, model: str, limit: int | None = None) -> list[dict[str, Any]]:
        return list(self.paginate(f"/v1/projects/{project}/models/{model}/versions", limit=limit))

    def set_alias(self, project: str, model: str, alias: str, version: int, reason: str = "") -> dict[str, Any]:
        return self.request("PUT", f"/v1/projects/{project}/models/{model}/aliases/{alias}",  # type: ignore[no-any-return]
                            json={"version": version, "reason": reason})

    def get_alias(self, project: str, model: str, alias: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/projects/{project}/models/{model}/aliases/{alias}")  # type: ignore[no-any-return]

    def alias_history(self, project: str, model: str, alias: str) -> list[dict[str, Any]]:
        return self.request("GET", f"/v1/projects/{project}/models/{model}/aliases/{alias}/history")  # type: ignore[no-any-return]
