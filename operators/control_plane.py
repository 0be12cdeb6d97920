"""Register runs created with ``kubectl apply`` in the control plane (REST API at ``XLAM_API_URL``).

Idempotent: the ``Idempotency-Key`` is derived from the resource uid, so re-registration after an
operator restart returns the same control-plane run.
"""

from __future__ import annotations

from typing import Any

import httpx

KIND_TO_RUN_KIND = {"TrainingRun": "training", "SynthesisRun": "synthesis", "EvaluationRun": "evaluation"}


class ControlPlaneError(RuntimeError):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def run_kind(cr: dict[str, Any]) -> str:
    if cr["kind"] == "SynthesisRun" and (cr.get("spec") or {}).get("type", "DataPipeline") == "DataPipeline":
        return "data-pipeline"
    return KIND_TO_RUN_KIND[cr["kind"]]


def idempotency_key(uid: str) -> str:
    return f"k8s-{uid}"


def registration_body(cr: dict[str, Any]) -> dict[str, Any]:
    meta = cr["metadata"]
    spec = {k: v for k, v in (cr.get("spec") or {}).items() if k not in ("controlPlaneRunId", "cancel")}
    return {
        "kind": run_kind(cr),
        "backend": "kubernetes",
        "spec": spec,
        "external_ref": {"apiVersion": cr["apiVersion"], "kind": cr["kind"], "namespace": meta["namespace"],
                         "name": meta["name"], "uid": meta["uid"]},
        "labels": {"source": "kubectl"},
    }


class ControlPlaneClient:
    def __init__(self, api_url: str, *, token: str | None = None, client: httpx.Client | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = client or httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=15.0)

    def register(self, cr: dict[str, Any]) -> str:
        """Register (or find) the control-plane run of ``cr``; returns its run id."""
        try:
            resp = self._http.post("/v1/runs/external", json=registration_body(cr),
                                   headers={"Idempotency-Key": idempotency_key(cr["metadata"]["uid"])})
        except httpx.HTTPError as exc:
            raise ControlPlaneError(f"control plane unreachable: {exc}", retryable=True) from exc
        if resp.status_code >= 400:
            raise ControlPlaneError(f"control plane refused registration: HTTP {resp.status_code}: "
                                    f"{resp.text[:300]}",
                                    retryable=resp.status_code >= 500 or resp.status_code in (409, 429))
        data = resp.json()
        return str(data.get("id") or data.get("run_id"))
