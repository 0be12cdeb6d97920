"""Compile-time settings of the pipelines: image, storage, secrets, scheduling, resources, retries.

One project image runs every component (nothing is installed at run time). These settings are
applied to each task when a pipeline is built (``build_*`` functions), so the same pipeline code
compiles for a laptop (kfp's local runner ignores the Kubernetes settings) and for a cluster.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_IMAGE = "ghcr.io/xlam-platform/xlam:0.1.0"


class SecretEnv(BaseModel):
    """Expose keys of a Kubernetes Secret as environment variables (e.g. generator API keys)."""

    model_config = ConfigDict(extra="forbid")

    secret_name: str
    key_to_env: dict[str, str] = Field(description="Secret key -> environment variable name.")
    optional: bool = True


class Toleration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    operator: str = "Equal"
    value: str | None = None
    effect: str | None = "NoSchedule"


class Resources(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cpu_request: str = "1"
    cpu_limit: str = "2"
    memory_request: str = "2Gi"
    memory_limit: str = "8Gi"


class PipelineSettings(BaseModel):
    """Everything a cluster needs that the local runner does not."""

    model_config = ConfigDict(extra="forbid")

    image: str = Field(default_factory=lambda: os.environ.get("XLAM_IMAGE", DEFAULT_IMAGE))
    data_pvc: str | None = Field(default=None, description="PVC mounted at data_mount_path in every task.")
    data_mount_path: str = "/data"
    secrets: list[SecretEnv] = Field(default_factory=list)
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[Toleration] = Field(default_factory=list)
    resources: Resources = Field(default_factory=Resources)
    train_resources: Resources = Field(
        default_factory=lambda: Resources(cpu_request="1", cpu_limit="2", memory_request="1Gi", memory_limit="4Gi"),
        description="The training step only launches and watches the RayJob.",
    )
    retries: int = Field(default=2, ge=0)
    backoff_duration: str = "30s"
    backoff_factor: float = 2.0
    backoff_max_duration: str = "600s"
    enable_caching: bool = Field(default=True, description="Default per task; a run can turn caching off.")
    parallelism: int = Field(default=4, ge=1, description="Max shards/batches processed at once.")

    @classmethod
    def load(cls, path: str | Path | None = None) -> PipelineSettings:
        """From a YAML file (or defaults, with ``XLAM_IMAGE`` honoured)."""
        if path is None:
            return cls()
        data: dict[str, Any] = yaml.safe_load(Path(path).read_text()) or {}
        return cls.model_validate(data)
