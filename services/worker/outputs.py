"""Register a finished run's outputs (datasets, model versions, evaluation metrics) with lineage.

Called in the same transaction as the run's terminal transition, so outputs are registered
exactly once even when a task is delivered twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def register_outputs(session: Session, run: Run, outputs: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"datasets": [], "model_versions": [], "evaluation": None}
    produced: list[str] = []
    for item in outputs.get("datasets", []):
        manifest, count, stats = scan_dataset(item["uri"], verify_checksums=True)
        parents = _datasets_for_uris(session, run.project_id, [str(u) for u in item.get("inputs", [])])
        ds = create_dataset_row(session, run.project_id, item["name"], item["uri"], manifest, count, stats,
                                description=f"produced by run {run.id}", parent_ids=parents,
                                producing_run_id=run.id, created_by=run.created_by)
        produced.append(ds.id)
        summary["datasets"].append({"id": ds.id, "name": ds.name, "version": ds.version, "uri": ds.uri})
    for item in outputs.get("models", []):
        model = session.scalar(select(RegisteredModel).where(RegisteredModel.project_id == run.project_id,
                                                             RegisteredModel.name == item["name"]))
        if model is None:
            model = RegisteredModel(id=new_id("mdl"), project_id=run.project_id, name=item["name"],
                                    description="registered by a training run", created_by=run.created_by)
            session.add(model)
            session.flush()
        dataset_ids = _datasets_for_uris(session, run.project_id, [str(u) for u in item.get("inputs", [])])
        mv = create_version_row(session, model, str(item["artifact_uri"]), run_id=run.id,
                                dataset_ids=dataset_ids + produced, metrics=dict(item.get("metrics") or {}),
                                card=str(item.get("card") or ""), created_by=run.created_by)
        summary["model_versions"].append({"id": mv.id, "model": model.name, "version": mv.version})
    evaluation = outputs.get("evaluation")
    if evaluation:
        summary["evaluation"] = evaluation
        version_id = evaluation.get("model_version_id")
        if version_id:
            target = session.get(ModelVersion, version_id)
            owner = session.get(RegisteredModel, target.model_id) if target else None
            if target is not None and owner is not None and owner.project_id == run.project_id:
                target.metrics = {**(target.metrics or {}), **evaluation.get("metrics", {})}
    return summary
