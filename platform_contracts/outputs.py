"""What a finished run produced, typed: the backends return it (``BackendStatus.outputs``), the worker
registers it (datasets, model versions, evaluation metrics), stores it in the run's ``outputs`` (with
the stage summaries and the training history, so clients such as the quickstart read them through
``GET /runs/{id}``) and the pipeline's launchers read it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xlam.reports import StageReport


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetOutput(_Output):
    name: str
    uri: str
    inputs: list[str] = Field(default_factory=list, description="URIs it was made from (lineage).")


class StageSummary(_Output):
    """The numbers of one stage's :class:`xlam.reports.StageReport` (records in/out/rejected, seconds,
    counts per rule or reason); shards of one stage are summed by the backend."""

    stage: str
    input_records: int = 0
    output_records: int = 0
    rejected_records: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = Field(default_factory=dict, description="Per rule / reason / category counts.")

    @classmethod
    def of(cls, report: StageReport | dict[str, Any]) -> StageSummary:
        data = report.model_dump(mode="json") if isinstance(report, StageReport) else report
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})

    def report(self) -> StageReport:
        """The summary as a core :class:`~xlam.reports.StageReport` (its ``pass_rate``, charts)."""
        return StageReport.model_validate(self.model_dump())


class TrainPoint(_Output):
    """One optimizer step of a training run's metric history."""

    step: int
    loss: float | None = None
    lr: float | None = None
    tokens: int | None = Field(None, description="Tokens in this step's batches (all workers).")


class ModelOutput(_Output):
    name: str = Field(description="The registered model that receives the new version.")
    artifact_uri: str
    metrics: dict[str, float] = Field(default_factory=dict, description="Final value of each training metric.")
    card: str = Field("", description="The model card (JSON text) or empty.")
    inputs: list[str] = Field(default_factory=list, description="Training data URIs (lineage).")
    history: list[TrainPoint] = Field(default_factory=list, description="Loss, learning rate and tokens per step.")


class EvaluationOutput(_Output):
    metrics: dict[str, float] = Field(default_factory=dict)
    out_dir: str = ""
    model_version_id: str | None = Field(None, description="The model version the metrics are merged into.")


class RunOutputs(_Output):
    datasets: list[DatasetOutput] = Field(default_factory=list)
    models: list[ModelOutput] = Field(default_factory=list)
    evaluation: EvaluationOutput | None = None
    reports: list[StageSummary] = Field(default_factory=list, description="The stages' summaries, in run order.")


# --- what the worker stores as the run's ``outputs`` and ``GET /runs/{id}`` returns ---------------
class RegisteredDataset(_Output):
    id: str
    name: str
    version: int
    uri: str


class RegisteredVersion(_Output):
    id: str
    model: str
    version: int
    history: list[TrainPoint] = Field(default_factory=list, description="The training run's loss per step.")


class RegisteredOutputs(_Output):
    """A finished run's ``outputs`` as the API returns them: what was registered, the evaluation
    metrics, the stages' summaries and each new model version's training history."""

    datasets: list[RegisteredDataset] = Field(default_factory=list)
    model_versions: list[RegisteredVersion] = Field(default_factory=list)
    evaluation: EvaluationOutput | None = None
    reports: list[StageSummary] = Field(default_factory=list)
