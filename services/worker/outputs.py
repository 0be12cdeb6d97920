"""Register a finished run's outputs (datasets, model versions, evaluation metrics) with lineage.

The summary stored as the run's ``outputs`` (``GET /runs/{id}``) names what was registered and carries
the stage summaries (``reports``) and each model version's training ``history`` as the backend
returned them.

Called in the same transaction as the run's terminal transition, so outputs are registered
exactly once even when a task is delivered twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_contracts.outputs import RegisteredDataset, RegisteredOutputs, RegisteredVersion, RunOutputs
from services.db.base import new_id
from services.db.models import Dataset, ModelVersion, RegisteredModel, Run
from services.db.registry import create_dataset_row, create_version_row, scan_dataset


def _datasets_for_uris(session: Session, project_id: str, uris: list[str]) -> list[str]:
    if not uris:
        return []
    rows = session.execute(select(Dataset.id, Dataset.uri, Dataset.version).where(
        Dataset.project_id == project_id, Dataset.uri.in_(uris), Dataset.deleted_at.is_(None)).order_by(Dataset.version))
    latest: dict[str, str] = {}
    for ds_id, uri, _ in rows:
        latest[uri] = ds_id
    return [latest[u] for u in uris if u in latest]


def register_outputs(session: Session, run: Run, outputs: RunOutputs) -> dict[str, Any]:
    summary = RegisteredOutputs(reports=outputs.reports)
    produced: list[str] = []
    for data in outputs.datasets:
        manifest, count, stats = scan_dataset(data.uri, verify_checksums=True)
        parents = _datasets_for_uris(session, run.project_id, data.inputs)
        ds = create_dataset_row(session, run.project_id, data.name, data.uri, manifest, count, stats,
                                description=f"produced by run {run.id}", parent_ids=parents,
                                producing_run_id=run.id, created_by=run.created_by)
        produced.append(ds.id)
        summary.datasets.append(RegisteredDataset(id=ds.id, name=ds.name, version=ds.version, uri=ds.uri))
    for item in outputs.models:
        model = session.scalar(select(RegisteredModel).where(RegisteredModel.project_id == run.project_id,
                                                             RegisteredModel.name == item.name))
        if model is None:
            model = RegisteredModel(id=new_id("mdl"), project_id=run.project_id, name=item.name,
                                    description="registered by a training run", created_by=run.created_by)
            session.add(model)
            session.flush()
        dataset_ids = _datasets_for_uris(session, run.project_id, item.inputs)
        mv = create_version_row(session, model, item.artifact_uri, run_id=run.id,
                                dataset_ids=dataset_ids + produced, metrics=dict(item.metrics),
                                card=item.card, created_by=run.created_by)
        summary.model_versions.append(RegisteredVersion(id=mv.id, model=model.name, version=mv.version,
                                                        history=item.history))
    evaluation = outputs.evaluation
    if evaluation is not None:
        # the run's spec names the version when the backend does not report it (kubernetes)
        version_id = evaluation.model_version_id or (run.spec or {}).get("model_version_id")
        evaluation = evaluation.model_copy(update={"model_version_id": version_id})
        summary.evaluation = evaluation
        if version_id:
            target = session.get(ModelVersion, version_id)
            owner = session.get(RegisteredModel, target.model_id) if target else None
            if target is not None and owner is not None and owner.project_id == run.project_id:
                target.metrics = {**(target.metrics or {}), **evaluation.metrics}
    return summary.model_dump(mode="json")
