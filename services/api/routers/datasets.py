"""Datasets: register by URI, upload a small JSONL, versions, lineage, stats, soft delete."""

from __future__ import annotations

import asyncio
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from services.api.deps import Editor, IfMatch, SessionDep, SettingsDep, Viewer, check_version, etag
from services.api.errors import ERROR_RESPONSES, ApiError, not_found
from services.api.pagination import decode_cursor, encode_cursor
from services.api.schemas import (
    DatasetLineage,
    DatasetOut,
    DatasetRegister,
    DatasetUpdate,
    Description,
    LongName,
    Page,
)
from services.api.uris import check_dataset_confined, check_uri
from services.db.base import new_id, utcnow
from services.db.models import Dataset, ModelVersion
from services.db.registry import DatasetScanError, create_dataset_row, scan_dataset
from services.settings import Settings

router = APIRouter(prefix="/v1/projects/{project_id}/datasets", tags=["datasets"], responses=ERROR_RESPONSES)
DatasetId = Annotated[str, Path(max_length=40)]
MAX_UPLOAD_RECORDS = 100_000


def _parents(session: Session, project_id: str, ids: list[str]) -> list[str]:
    if not ids:
        return []
    found = set(session.scalars(select(Dataset.id).where(Dataset.project_id == project_id, Dataset.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApiError(422, "validation_error", f"parent_ids: unknown dataset {missing[0]}", {"field": "parent_ids"})
    return ids


def _get(session: Session, project_id: str, dataset_id: str, *, include_deleted: bool = False) -> Dataset:
    ds = session.get(Dataset, dataset_id)
    if ds is None or ds.project_id != project_id or (ds.deleted_at is not None and not include_deleted):
        raise not_found("dataset")
    return ds


@router.post("", response_model=DatasetOut, status_code=201, summary="Register a dataset by URI")
def register_dataset(body: DatasetRegister, access: Editor, session: SessionDep, settings: SettingsDep,
                     response: Response) -> Dataset:
    """Validates the manifest and every shard checksum; a new version of ``name`` is created."""
    uri = check_uri(body.uri, settings, project_id=access.project.id, need_driver=True)
    check_dataset_confined(uri)
    parents = _parents(session, access.project.id, body.parent_ids)
    try:
        manifest, count, stats = scan_dataset(uri, verify_checksums=body.verify_checksums)
    except DatasetScanError as exc:
        raise ApiError(422, "invalid_dataset", f"uri: {exc}", {"field": "uri"}) from exc
    ds = create_dataset_row(session, access.project.id, body.name, uri, manifest, count, stats,
                            description=body.description, parent_ids=parents, created_by=access.user.id)
    session.commit()
    response.headers["ETag"] = etag(ds.lock_version)
    return ds


def _write_upload(settings: Settings, project_id: str, name: str, body: bytes) -> tuple[str, dict[str, Any], int, dict[str, Any]]:
    from xlam.datasets import write_records
    from xlam.errors import pydantic_field_path
    from xlam.records import Record

    records = []
    for lineno, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(Record.model_validate_json(line))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = pydantic_field_path(tuple(err["loc"])) if err["type"] != "json_invalid" else ""
            raise ApiError(422, "invalid_record", f"line {lineno}: {field + ': ' if field else ''}{err['msg']}",
                           {"line": lineno, "field": field, "reason": err["msg"]}) from exc
        if len(records) > MAX_UPLOAD_RECORDS:
            raise ApiError(413, "payload_too_large", f"uploads are limited to {MAX_UPLOAD_RECORDS} records")
    if not records:
        raise ApiError(422, "invalid_record", "the upload contains no records")
    uri = str(FsPath(settings.artifact_root) / "projects" / project_id / "datasets" / name / new_id("up"))
    manifest = write_records(uri, records, source="upload", command=f"upload {name}")
    return uri, manifest.model_dump(mode="json"), len(records), {}


@router.post("/upload", response_model=DatasetOut, status_code=201, summary="Upload a small JSONL dataset",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}}}},
             responses={413: ERROR_RESPONSES[413]})
async def upload_dataset(
    request: Request, access: Editor, session: SessionDep, settings: SettingsDep, response: Response,
    name: Annotated[LongName, Query(description="Dataset name (letters, digits, . _ -).")],
    description: Annotated[Description, Query()] = "",
) -> Dataset:
    """Each line must be a valid Record; the dataset is written atomically, then registered."""
    body = await request.body()
    uri, manifest, count, _ = await asyncio.to_thread(_write_upload, settings, access.project.id, name, body)
    _, _, stats = await asyncio.to_thread(scan_dataset, uri, verify_checksums=True)

    def _insert() -> Dataset:
        ds = create_dataset_row(session, access.project.id, name, uri, manifest, count, stats,
                                description=description, created_by=access.user.id)
        session.commit()
        return ds

    ds = await asyncio.to_thread(_insert)
    response.headers["ETag"] = etag(ds.lock_version)
    return ds


@router.get("", response_model=Page[DatasetOut], summary="List datasets (newest first)")
def list_datasets(
    access: Viewer, session: SessionDep, settings: SettingsDep,
    name: Annotated[LongName | None, Query()] = None,
    include_deleted: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[DatasetOut]:
    q = select(Dataset).where(Dataset.project_id == access.project.id).order_by(Dataset.id.desc()).limit(limit + 1)
    if name:
        q = q.where(Dataset.name == name)
    if not include_deleted:
        q = q.where(Dataset.deleted_at.is_(None))
    after = decode_cursor(cursor, settings.secret_key, f"datasets:{access.project.id}")
    if after:
        q = q.where(Dataset.id < after)
    rows = list(session.scalars(q))
    nxt = encode_cursor(rows[limit - 1].id, settings.secret_key, f"datasets:{access.project.id}") if len(rows) > limit else None
    return Page[DatasetOut](data=[DatasetOut.model_validate(d) for d in rows[:limit]], next_cursor=nxt)


@router.get("/{dataset_id}", response_model=DatasetOut, summary="Get a dataset version")
def get_dataset(dataset_id: DatasetId, access: Viewer, session: SessionDep, response: Response) -> Dataset:
    ds = _get(session, access.project.id, dataset_id, include_deleted=True)
    response.headers["ETag"] = etag(ds.lock_version)
    return ds


@router.patch("/{dataset_id}", response_model=DatasetOut, summary="Update a dataset (If-Match required)")
def update_dataset(dataset_id: DatasetId, body: DatasetUpdate, access: Editor, session: SessionDep, response: Response, if_match: IfMatch = None) -> Dataset:
    ds = _get(session, access.project.id, dataset_id)
    check_version(ds.lock_version, if_match)
    ds.description = body.description
    session.commit()
    response.headers["ETag"] = etag(ds.lock_version)
    return ds


@router.delete("/{dataset_id}", response_model=DatasetOut, summary="Soft-delete a dataset version")
def delete_dataset(dataset_id: DatasetId, access: Editor, session: SessionDep) -> Dataset:
    """Marks the version deleted; the files and the lineage stay."""
    ds = _get(session, access.project.id, dataset_id)
    ds.deleted_at = utcnow()
    session.commit()
    return ds


@router.get("/{dataset_id}/stats", summary="Dataset statistics")
def dataset_stats(dataset_id: DatasetId, access: Viewer, session: SessionDep) -> dict[str, Any]:
    ds = _get(session, access.project.id, dataset_id, include_deleted=True)
    return {"id": ds.id, "num_records": ds.num_records, **ds.stats}


@router.get("/{dataset_id}/lineage", response_model=DatasetLineage, summary="Parents, children, producing run")
def dataset_lineage(dataset_id: DatasetId, access: Viewer, session: SessionDep) -> DatasetLineage:
    ds = _get(session, access.project.id, dataset_id, include_deleted=True)
    pid = access.project.id
    parents = list(session.scalars(select(Dataset).where(Dataset.project_id == pid, Dataset.id.in_(ds.parent_ids or []))))
    children = [c for c in session.scalars(select(Dataset).where(
        Dataset.project_id == pid, cast(Dataset.parent_ids, String).contains(ds.id))) if ds.id in c.parent_ids]
    versions = [v.id for v in session.scalars(select(ModelVersion).where(
        cast(ModelVersion.dataset_ids, String).contains(ds.id))) if ds.id in v.dataset_ids]
    return DatasetLineage(
        dataset=DatasetOut.model_validate(ds), parents=[DatasetOut.model_validate(p) for p in parents],
        children=[DatasetOut.model_validate(c) for c in children], producing_run_id=ds.producing_run_id,
        consuming_model_versions=versions,
    )


