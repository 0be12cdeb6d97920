"""Register runs created with ``kubectl apply`` in the control plane (REST API at ``XLAM_API_URL``).

``POST /v1/projects/{project}/runs`` with ``backend: kubernetes`` and an ``Idempotency-Key`` derived
from the resource uid, so re-registration after an operator restart returns the same run. The run's
spec is the control plane's typed envelope for the kind, built from the resource. The operator then
labels the resource ``xlam.ai/run-id=<run id>``; the control plane's kubernetes backend adopts a
resource carrying its run id instead of creating a second one.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from platform_contracts.client import ApiClientError, XlamClient
from platform_contracts.k8s.labels import PROJECT_ANNOTATION


class ControlPlaneError(RuntimeError):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def run_kind(cr: dict[str, Any]) -> str:
    if cr["kind"] == "SynthesisRun":
        return "data-pipeline" if (cr.get("spec") or {}).get("type", "DataPipeline") == "DataPipeline" else "synthesis"
    return {"TrainingRun": "training", "EvaluationRun": "evaluation"}[cr["kind"]]


def idempotency_key(uid: str) -> str:
    return f"k8s-{uid}"


def _output_name(cr: dict[str, Any]) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", cr["metadata"]["name"])[:128]


def control_plane_spec(cr: dict[str, Any]) -> dict[str, Any]:
    """The control plane's run spec (a platform_contracts.runspecs envelope, JSON form) for this resource."""
    spec = cr.get("spec") or {}
    kind = run_kind(cr)
    if kind == "training":
        config = dict(spec.get("config") or {})
        config["model"] = {**(config.get("model") or {}), "recipe": spec["recipe"]}
        config["method"] = spec.get("method", "sft")
        return {"model_name": _output_name(cr), "config": config}
    if kind == "evaluation":
        config = dict(spec.get("config") or {})
        config.setdefault("model", spec["model"])
        for key, field in (("categories", "categories"), ("limit", "limit"), ("promptMode", "prompt_mode")):
            if spec.get(key) is not None:
                config.setdefault(field, spec[key])
        return {"config": config}
    params = spec.get("parameters") or {}
    if kind == "synthesis":
        out: dict[str, Any] = {"output_name": _output_name(cr), "config": dict(params.get("synthesis_config") or {})}
        if params.get("tools") not in (None, "default"):
            out["tools_uri"] = params["tools"]
        return out
    source = (params.get("sources") or [{}])[0]
    return {"source": source.get("source", "bfcl"), "inputs": list(source.get("inputs") or []),
            "output_name": _output_name(cr), "unify": dict(params.get("unify_config") or {})}


def registration_body(cr: dict[str, Any]) -> dict[str, Any]:
    meta = cr["metadata"]
    return {"kind": run_kind(cr), "name": f"k8s/{meta['namespace']}/{cr['kind']}/{meta['name']}"[:128],
            "spec": control_plane_spec(cr), "backend": "kubernetes"}


class ControlPlaneClient:
    """Run registration on the typed API client (no retries here: kopf retries retryable errors)."""

    def __init__(self, api_url: str, *, token: str | None = None, project: str = "default",
                 client: httpx.Client | None = None) -> None:
        self.project = project
        self.api = XlamClient(api_url, token, timeout=15.0, retries=1, http=client)

    def register(self, cr: dict[str, Any]) -> str:
        """Register (or find) the control-plane run of ``cr``; returns its run id."""
        project = ((cr.get("metadata") or {}).get("annotations") or {}).get(PROJECT_ANNOTATION) or self.project
        body = registration_body(cr)
        try:
            run = self.api.submit_run(project, body["kind"], body["spec"], name=body["name"],
                                      idempotency_key=idempotency_key(cr["metadata"]["uid"]), backend=body["backend"])
        except httpx.HTTPError as exc:
            raise ControlPlaneError(f"control plane unreachable: {exc}", retryable=True) from exc
        except ApiClientError as exc:
            raise ControlPlaneError(f"control plane refused registration: HTTP {exc.status}: {exc.message[:300]}",
                                    retryable=exc.status >= 500 or exc.status == 429) from exc
        return str(run["id"])
