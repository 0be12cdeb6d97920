"""Model registry: registered models, versions, aliases with an audit history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.api.deps import (
    Editor,
    IfMatch,
    ProjectAccess,
    SessionDep,
    SettingsDep,
    Viewer,
    check_version,
    etag,
)
from services.api.errors import ERROR_RESPONSES, ApiError, not_found
from services.api.pagination import decode_cursor, decode_int_cursor, encode_cursor
from services.api.schemas import (
    AliasEventOut,
    AliasOut,
    AliasPut,
    ModelCreate,
    ModelOut,
    ModelUpdate,
    Page,
    VersionCreate,
    VersionOut,
)
from services.api.uris import check_uri
from services.db.base import new_id, utcnow
from services.db.models import AliasEvent, Dataset, ModelAlias, ModelVersion, RegisteredModel, Run
from services.db.registry import create_version_row
from services.settings import Settings

router = APIRouter(prefix="/v1/projects/{project_id}/models", tags=["models"], responses=ERROR_RESPONSES)
ModelName = Annotated[str, Path(max_length=128, description="Registered model name.")]
AliasName = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$", max_length=64)]
VersionNo = Annotated[int, Path(ge=1, le=10**9)]


def _model(session: Session, project_id: str, name: str) -> RegisteredModel:
    model = session.scalar(select(RegisteredModel).where(RegisteredModel.project_id == project_id,
                                                         RegisteredModel.name == name))
    if model is None:
        raise not_found("model")
    return model


def _aliases(session: Session, model_id: str) -> dict[str, int]:
    rows = session.execute(select(ModelAlias.alias, ModelVersion.version).join(
        ModelVersion, ModelVersion.id == ModelAlias.version_id).where(ModelAlias.model_id == model_id))
    return {a: v for a, v in rows}


def _model_out(session: Session, model: RegisteredModel) -> ModelOut:
    return ModelOut.model_validate(model).model_copy(update={"aliases": _aliases(session, model.id)})


# The hot routes are ``async def`` around one thread-pool call: a sync route costs FastAPI a second
# thread hop to validate its return value.


@router.post("", response_model=ModelOut, status_code=201, summary="Register a model")
async def create_model(body: ModelCreate, access: Editor, session: SessionDep, response: Response) -> ModelOut:
    return await run_in_threadpool(_create_model, body, access, session, response)


def _create_model(body: ModelCreate, access: ProjectAccess, session: Session, response: Response) -> ModelOut:
    model = RegisteredModel(id=new_id("mdl"), project_id=access.project.id, name=body.name,
                            description=body.description, tags=body.tags, created_by=access.user.id)
    session.add(model)
    try:  # the unique (project_id, name) constraint decides: no check-then-insert race, one query less
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, "conflict", f"model {body.name!r} exists") from None
    response.headers["ETag"] = etag(model.lock_version)
    return ModelOut.model_validate(model)


@router.get("", response_model=Page[ModelOut], summary="List models")
def list_models(access: Viewer, session: SessionDep, settings: SettingsDep,
                name_prefix: Annotated[str | None, Query(max_length=128)] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                cursor: Annotated[str | None, Query(max_length=200)] = None) -> Page[ModelOut]:
    q = select(RegisteredModel).where(RegisteredModel.project_id == access.project.id).order_by(
        RegisteredModel.id.desc()).limit(limit + 1)
    if name_prefix:
        q = q.where(RegisteredModel.name.startswith(name_prefix, autoescape=True))
    after = decode_cursor(cursor, settings.secret_key, f"models:{access.project.id}")
    if after:
        q = q.where(RegisteredModel.id < after)
    rows = list(session.scalars(q))
    nxt = encode_cursor(rows[limit - 1].id, settings.secret_key, f"models:{access.project.id}") if len(rows) > limit else None
    return Page[ModelOut](data=[ModelOut.model_validate(m) for m in rows[:limit]], next_cursor=nxt)


@router.get("/{model_name}", response_model=ModelOut, summary="Get a model (with its aliases)")
async def get_model(model_name: ModelName, access: Viewer, session: SessionDep, response: Response) -> ModelOut:
    return await run_in_threadpool(_get_model, model_name, access, session, response)


def _get_model(model_name: str, access: ProjectAccess, session: Session, response: Response) -> ModelOut:
    """The model and its aliases in one query (outer join: a model without aliases is one row)."""
    rows = session.execute(
        select(RegisteredModel, ModelAlias.alias, ModelVersion.version)
        .outerjoin(ModelAlias, ModelAlias.model_id == RegisteredModel.id)
        .outerjoin(ModelVersion, ModelVersion.id == ModelAlias.version_id)
        .where(RegisteredModel.project_id == access.project.id, RegisteredModel.name == model_name)
    ).all()
    if not rows:
        raise not_found("model")
    model = rows[0][0]
    response.headers["ETag"] = etag(model.lock_version)
    aliases = {alias: version for _, alias, version in rows if alias is not None}
    return ModelOut.model_validate(model).model_copy(update={"aliases": aliases})


@router.patch("/{model_name}", response_model=ModelOut, summary="Update a model (If-Match required)")
def update_model(model_name: ModelName, body: ModelUpdate, access: Editor, session: SessionDep,
                 response: Response, if_match: IfMatch = None) -> ModelOut:
    model = _model(session, access.project.id, model_name)
    check_version(model.lock_version, if_match)
    if body.description is not None:
        model.description = body.description
    if body.tags is not None:
        model.tags = dict(body.tags)
    session.commit()
    response.headers["ETag"] = etag(model.lock_version)
    return _model_out(session, model)


def _check_lineage(session: Session, settings: Settings, access: ProjectAccess, body: VersionCreate) -> str:
    uri = check_uri(body.artifact_uri, settings, field="artifact_uri", project_id=access.project.id)
    if body.run_id:
        run = session.get(Run, body.run_id)
        if run is None or run.project_id != access.project.id:
            raise ApiError(422, "validation_error", f"run_id: unknown run {body.run_id}", {"field": "run_id"})
    if body.dataset_ids:
        found = set(session.scalars(select(Dataset.id).where(Dataset.project_id == access.project.id,
                                                             Dataset.id.in_(body.dataset_ids))))
        missing = [d for d in body.dataset_ids if d not in found]
        if missing:
            raise ApiError(422, "validation_error", f"dataset_ids: unknown dataset {missing[0]}", {"field": "dataset_ids"})
    return uri


@router.post("/{model_name}/versions", response_model=VersionOut, status_code=201, summary="Create a model version")
async def create_version(model_name: ModelName, body: VersionCreate, access: Editor, session: SessionDep,
                         settings: SettingsDep) -> VersionOut:
    """Version numbers auto-increment; lineage to a run and datasets is checked."""
    return await run_in_threadpool(_create_version, model_name, body, access, session, settings)


def _create_version(model_name: str, body: VersionCreate, access: ProjectAccess, session: Session,
                    settings: Settings) -> VersionOut:
    model = _model(session, access.project.id, model_name)
    uri = _check_lineage(session, settings, access, body)
    mv = create_version_row(session, model, uri, run_id=body.run_id, dataset_ids=body.dataset_ids,
                            metrics=body.metrics, card=body.card, created_by=access.user.id)
    session.commit()
    return VersionOut.model_validate(mv)


@router.get("/{model_name}/versions", response_model=Page[VersionOut], summary="List versions (newest first)")
def list_versions(model_name: ModelName, access: Viewer, session: SessionDep, settings: SettingsDep,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  cursor: Annotated[str | None, Query(max_length=200)] = None) -> Page[VersionOut]:
    model = _model(session, access.project.id, model_name)
    q = select(ModelVersion).where(ModelVersion.model_id == model.id).order_by(ModelVersion.version.desc()).limit(limit + 1)
    after = decode_int_cursor(cursor, settings.secret_key, f"versions:{model.id}")
    if after is not None:
        q = q.where(ModelVersion.version < after)
    rows = list(session.scalars(q))
    by_version: dict[int, list[str]] = {}
    for alias, number in _aliases(session, model.id).items():
        by_version.setdefault(number, []).append(alias)
    data = [VersionOut.model_validate(v).model_copy(update={"aliases": by_version.get(v.version, [])}) for v in rows[:limit]]
    nxt = encode_cursor(str(rows[limit - 1].version), settings.secret_key, f"versions:{model.id}") if len(rows) > limit else None
    return Page[VersionOut](data=data, next_cursor=nxt)


def _version(session: Session, model: RegisteredModel, number: int) -> ModelVersion:
    mv = session.scalar(select(ModelVersion).where(ModelVersion.model_id == model.id, ModelVersion.version == number))
    if mv is None:
        raise not_found("model version")
    return mv


@router.get("/{model_name}/versions/{version}", response_model=VersionOut, summary="Get a model version")
def get_version(model_name: ModelName, version: VersionNo, access: Viewer, session: SessionDep) -> VersionOut:
    model = _model(session, access.project.id, model_name)
    mv = _version(session, model, version)
    aliases = [a for a, n in _aliases(session, model.id).items() if n == version]
    return VersionOut.model_validate(mv).model_copy(update={"aliases": aliases})


def _alias_out(alias: ModelAlias, number: int) -> AliasOut:
    return AliasOut(alias=alias.alias, version=number, version_id=alias.version_id, updated_at=alias.updated_at,
                    lock_version=alias.lock_version)


@router.put("/{model_name}/aliases/{alias}", response_model=AliasOut, summary="Point an alias at a version")
def set_alias(model_name: ModelName, alias: AliasName, body: AliasPut, access: Viewer, session: SessionDep,
              response: Response, if_match: IfMatch = None) -> AliasOut:
    """Project admins and members with ``can_promote`` only; every move is recorded. If-Match optional."""
    if not access.can_promote:
        raise ApiError(403, "forbidden", "moving aliases needs the admin role or the can_promote permission")
    model = _model(session, access.project.id, model_name)
    mv = _version(session, model, body.version)
    current = session.get(ModelAlias, (model.id, alias), with_for_update=True)
    previous = None
    if current is None:
        current = ModelAlias(model_id=model.id, alias=alias, version_id=mv.id, updated_by=access.user.id)
        session.add(current)
    else:
        check_version(current.lock_version, if_match, required=False)
        previous = session.scalar(select(ModelVersion.version).where(ModelVersion.id == current.version_id))
        current.version_id, current.updated_by, current.updated_at = mv.id, access.user.id, utcnow()
    session.add(AliasEvent(model_id=model.id, alias=alias, from_version=previous, to_version=mv.version,
                           actor_id=access.user.id, reason=body.reason))
    session.commit()
    response.headers["ETag"] = etag(current.lock_version)
    return _alias_out(current, mv.version)


@router.get("/{model_name}/aliases/{alias}", response_model=AliasOut, summary="Resolve an alias")
def get_alias(model_name: ModelName, alias: AliasName, access: Viewer, session: SessionDep, response: Response) -> AliasOut:
    model = _model(session, access.project.id, model_name)
    current = session.get(ModelAlias, (model.id, alias))
    if current is None:
        raise not_found("alias")
    number = session.scalar(select(ModelVersion.version).where(ModelVersion.id == current.version_id)) or 0
    response.headers["ETag"] = etag(current.lock_version)
    return _alias_out(current, number)


@router.delete("/{model_name}/aliases/{alias}", status_code=204, summary="Remove an alias")
def delete_alias(model_name: ModelName, alias: AliasName, access: Viewer, session: SessionDep) -> Response:
    if not access.can_promote:
        raise ApiError(403, "forbidden", "moving aliases needs the admin role or the can_promote permission")
    model = _model(session, access.project.id, model_name)
    current = session.get(ModelAlias, (model.id, alias))
    if current is None:
        raise not_found("alias")
    previous = session.scalar(select(ModelVersion.version).where(ModelVersion.id == current.version_id))
    session.delete(current)
    session.add(AliasEvent(model_id=model.id, alias=alias, from_version=previous, to_version=None, actor_id=access.user.id))
    session.commit()
    return Response(status_code=204)


@router.get("/{model_name}/aliases/{alias}/history", response_model=list[AliasEventOut], summary="Audit history of an alias")
def alias_history(model_name: ModelName, alias: AliasName, access: Viewer, session: SessionDep) -> list[AliasEvent]:
    model = _model(session, access.project.id, model_name)
    return list(session.scalars(select(AliasEvent).where(AliasEvent.model_id == model.id, AliasEvent.alias == alias)
                                .order_by(AliasEvent.id).limit(10_000)))
