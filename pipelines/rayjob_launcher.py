"""The ``rayjob`` training launcher of the end-to-end pipeline: the training step on a cluster.

It submits the phase's TrainConfig as a ``TrainingRun`` custom resource (the shared Kubernetes
contract, :mod:`platform_contracts.k8s.runs`, the same code as the control plane's kubernetes
backend; the operator turns it into a KubeRay RayJob sized by the planner) and follows the
resource's phase. :mod:`pipelines.launchers` registers it under ``rayjob``.

Settings come from the ``XLAM_K8S_*`` environment (namespace, storage, sizing) plus
``XLAM_PROJECT`` (default ``pipelines``). The exported model lands under the run's storage; the
pipeline's training step must be able to read it (mount the same PVC with
``PipelineSettings.data_pvc``, or use an object store the step can reach).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from pipelines.launchers import LaunchState, TrainingLauncher
from platform_contracts.k8s.runs import KubeRuns
from platform_contracts.runspecs import TrainingSpec
from platform_contracts.runstate import launch_phase
from xlam.training import TrainConfig


@dataclass(frozen=True)
class TrainingRequest:
    """One training run of the pipeline as the Kubernetes contract sees it (one attempt)."""

    run_id: str
    project_id: str
    spec: TrainingSpec
    kind: str = "training"
    attempt: int = 1

    @property
    def name(self) -> str:
        return f"{self.run_id.replace('_', '-')}-a{self.attempt}"


class RayJobLauncher(TrainingLauncher):
    name = "rayjob"

    def __init__(self, runs: KubeRuns | None = None, *, project: str | None = None) -> None:
        self.runs = runs if runs is not None else KubeRuns()
        self.project = project or os.environ.get("XLAM_PROJECT", "pipelines")

    def launch(self, train_config: dict[str, Any], output_dir: str) -> str:
        digest = hashlib.sha256(json.dumps(train_config, sort_keys=True).encode()).hexdigest()[:12]
        request = TrainingRequest(
            run_id=f"kfp-{train_config.get('name', 'train')}-{digest}",
            project_id=self.project,
            spec=TrainingSpec(model_name=str(train_config.get("name", "xlam-model")),
                              config=TrainConfig.model_validate(train_config)),
        )
        return self.runs.submit(request)

    def state(self, job_id: str) -> LaunchState:
        status = self.runs.status(job_id)
        result: dict[str, Any] = {}
        if status.outputs.models:
            model = status.outputs.models[0]
            result["hf_export_dir"] = model.artifact_uri
            result["metrics"] = [model.metrics]
        return LaunchState(launch_phase(status.phase), status.message, result)

    def cancel(self, job_id: str) -> None:
        self.runs.cancel(job_id)
