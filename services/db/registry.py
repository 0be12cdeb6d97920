"""Registry writes shared by the API and the worker: dataset versions and model versions."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.db.base import new_id
from services.db.models import Dataset, ModelVersion, RegisteredModel


class DatasetScanError(ValueError):
    """The URI holds no valid dataset (missing/invalid manifest, missing shard, checksum mismatch)."""


def scan_dataset(uri: str, *, verify_checksums: bool) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """Read the manifest, stream every record (checking shard checksums) and summarise it."""
    from xlam.datasets import DatasetReader
    from xlam.errors import DatasetError

    try:
        reader = DatasetReader(uri, verify_checksums=verify_checksums)
        categories: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        tools = calls = count = 0
        for raw in reader.iter_dicts():
            count += 1
            categories[str(raw.get("category") or "unknown")] += 1
            sources[str(raw.get("source") or "")] += 1
            tools += len(raw.get("tools") or [])
            calls += sum(len(s.get("tool_calls") or []) for s in raw.get("steps") or [])
    except (DatasetError, OSError, ValueError) as exc:
        raise DatasetScanError(str(exc)) from exc
    stats = {"records": count, "categories": dict(categories), "sources": dict(sources.most_common(20)),
             "mean_tools": round(tools / count, 3) if count else 0.0, "mean_calls": round(calls / count, 3) if count else 0.0,
             "manifest_stats": reader.manifest.stats}
    return reader.manifest.model_dump(mode="json"), count, stats


def create_dataset_row(
    session: Session, project_id: str, name: str, uri: str, manifest: dict[str, Any], num_records: int,
    stats: dict[str, Any], *, description: str = "", parent_ids: list[str] | None = None,
    producing_run_id: str | None = None, created_by: str | None = None,
) -> Dataset:
    """Insert the next version of ``name`` (used by the API and by the worker registering outputs)."""
    latest = session.scalar(select(func.max(Dataset.version)).where(Dataset.project_id == project_id, Dataset.name == name))
    ds = Dataset(
        id=new_id("ds"), project_id=project_id, name=name, version=(latest or 0) + 1, uri=uri, description=description,
        num_records=num_records, manifest=manifest, stats=stats, parent_ids=parent_ids or [],
        producing_run_id=producing_run_id, created_by=created_by,
    )
    session.add(ds)
    session.flush()
    return ds



def create_version_row(session: Session, model: RegisteredModel, artifact_uri: str, *, run_id: str | None = None,
                       dataset_ids: list[str] | None = None, metrics: dict[str, float] | None = None,
                       card: str = "", created_by: str | None = None) -> ModelVersion:
    """Allocate the next version number (row-locked counter) and insert the version."""
    number = session.execute(
        update(RegisteredModel).where(RegisteredModel.id == model.id)
        .values(next_version=RegisteredModel.next_version + 1)
        .returning(RegisteredModel.next_version).execution_options(synchronize_session=False)
    ).scalar_one() - 1
    mv = ModelVersion(id=new_id("mv"), model_id=model.id, version=number, artifact_uri=artifact_uri,
                      metrics=metrics or {}, card=card, run_id=run_id, dataset_ids=dataset_ids or [], created_by=created_by)
    session.add(mv)
    session.flush()
    return mv
