"""The ``rayjob`` training launcher of the end-to-end pipeline: the training step on a cluster.

It submits the phase's TrainConfig as a ``TrainingRun`` through the control plane's Kubernetes
backend (the operator turns it into a KubeRay RayJob sized by the planner) and follows the run's
phase. Importing this module registers it with :func:`pipelines.launchers.register_launcher`.

Settings come from the backend's ``XLAM_K8S_*`` environment (namespace, storage, sizing) plus
``XLAM_PROJECT`` (default ``pipelines``). The exported model lands under the run's storage; the
pipeline's training step must be able to read it (mount the same PVC with
``PipelineSettings.data_pvc``, or use an object store the step can reach).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pipelines.launchers import LaunchState, TrainingLauncher, register_launcher

_PHASES = {"pending": "pending", "running": "running", "succeeded": "succeeded", "failed": "failed",
           "cancelled": "cancelled", "lost": "failed"}


class RayJobLauncher(TrainingLauncher):
    name = "rayjob"

    def __init__(self, backend: Any | None = None, *, project: str | None = None) -> None:
        if backend is None:
            from services.backends.kubernetes import KubernetesBackend

            backend = KubernetesBackend()
        self.backend = backend
        self.project = project or os.environ.get("XLAM_PROJECT", "pipelines")

    def launch(self, train_config: dict[str, Any], output_dir: str) -> str:
        from services.backends.base import RunContext

        digest = hashlib.sha256(json.dumps(train_config, sort_keys=True).encode()).hexdigest()[:12]
        ctx = RunContext(
            run_id=f"kfp-{train_config.get('name', 'train')}-{digest}",
            project_id=self.project,
            kind="training",
            spec={"model_name": str(train_config.get("name", "xlam-model")), "config": train_config},
            attempt=1,
            claim=1,
            work_dir=Path(output_dir),
            artifact_root=os.environ.get("XLAM_K8S_STORAGE_URI", output_dir),
        )
        return str(self.backend.submit(ctx))

    def state(self, job_id: str) -> LaunchState:
        status = self.backend.status(job_id)
        result: dict[str, Any] = {}
        models = status.outputs.get("models") or []
        if models:
            result["hf_export_dir"] = models[0].get("artifact_uri")
            result["metrics"] = [models[0].get("metrics") or {}]
        return LaunchState(_PHASES.get(status.phase, "running"), status.message, result)

    def cancel(self, job_id: str) -> None:
        self.backend.cancel(job_id)


register_launcher("rayjob", RayJobLauncher)
