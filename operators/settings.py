"""Operator settings, read from the environment (set by the operator Deployment).

``XLAM_IMAGE`` is the one image reference of the platform: the kustomize ``images:`` entry / Helm
``image.repository:tag`` feed it, and every child pod the operator creates (Ray head/workers, the
RayJob submitter, evaluation Jobs) uses it unless a run overrides ``spec.image``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

IMAGE_REPOSITORY = "ghcr.io/xlam-platform/xlam"
IMAGE_TAG = "0.1.0"
DEFAULT_IMAGE = f"{IMAGE_REPOSITORY}:{IMAGE_TAG}"


def platform_image() -> str:
    """The platform image (``XLAM_IMAGE`` or the release default). Pipelines compile with it too."""
    return os.environ.get("XLAM_IMAGE") or DEFAULT_IMAGE


@dataclass(frozen=True)
class OperatorSettings:
    image: str = field(default_factory=platform_image)
    image_pull_policy: str = "IfNotPresent"
    api_url: str | None = None  # control-plane REST API (XLAM_API_URL); registration is off without it
    api_token: str | None = None
    api_project: str = "default"  # project of kubectl-created runs (annotation xlam.ai/project overrides)
    kfp_endpoint: str | None = None  # KFP API server (KFP_ENDPOINT), e.g. http://ml-pipeline.kubeflow:8888
    kfp_token: str | None = None
    service_account: str = "xlam-run"  # SA of child pods (no API permissions)
    head_cpu: str = "4"
    head_memory: str = "16Gi"
    worker_cpu_per_gpu: int = 12
    worker_memory_per_gpu_gi: int = 120

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> OperatorSettings:
        e = dict(os.environ if env is None else env)
        return cls(
            image=e.get("XLAM_IMAGE") or DEFAULT_IMAGE,
            image_pull_policy=e.get("XLAM_IMAGE_PULL_POLICY", "IfNotPresent"),
            api_url=e.get("XLAM_API_URL") or None,
            api_token=e.get("XLAM_API_TOKEN") or None,
            api_project=e.get("XLAM_API_PROJECT", "default"),
            kfp_endpoint=e.get("KFP_ENDPOINT") or None,
            kfp_token=e.get("KFP_TOKEN") or None,
            service_account=e.get("XLAM_RUN_SERVICE_ACCOUNT", "xlam-run"),
        )
