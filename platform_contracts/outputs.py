"""What a finished run produced, typed: the backends return it (``BackendStatus.outputs``), the worker
registers it (datasets, model versions, evaluation metrics) and the pipeline's launchers read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetOutput(_Output):
    name: str
    uri: str
    inputs: list[str] = Field(default_factory=list, description="URIs it was made from (lineage).")


class ModelOutput(_Output):
    name: str = Field(description="The registered model that receives the new version.")
    artifact_uri: str
    metrics: dict[str, float] = Field(default_factory=dict, description="Final value of each training metric.")
    card: str = Field("", description="The model card (JSON text) or empty.")
    inputs: list[str] = Field(default_factory=list, description="Training data URIs (lineage).")


class EvaluationOutput(_Output):
    metrics: dict[str, float] = Field(default_factory=dict)
    out_dir: str = ""
    model_version_id: str | None = Field(None, description="The model version the metrics are merged into.")


class RunOutputs(_Output):
    datasets: list[DatasetOutput] = Field(default_factory=list)
    models: list[ModelOutput] = Field(default_factory=list)
    evaluation: EvaluationOutput | None = None
