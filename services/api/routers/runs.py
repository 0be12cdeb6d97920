"""Runs: submit (idempotent), list, get, cancel, retry, events, logs (paged and SSE), metrics."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_contracts.runspecs import RunKind, SpecError, dump_spec, input_uris, resolve_engine
from platform_contracts.runstate import TERMINAL, RunState
from services.api.deps import Editor, ProjectAccess, SessionDep, SettingsDep, Viewer
from services.api.errors import ERROR_RESPONSES, ApiError, not_found
from services.api.pagination import decode_cursor, decode_int_cursor, encode_cursor
from services.api.schemas import LogLine, MetricPoint, Page, RunEventOut, RunOut, RunSubmit
from services.api.spec_policy import check_spec
from services.api.uris import check_uri
from services.db.base import new_id, utcnow
from services.db.models import ModelVersion, RegisteredModel, Run, RunEvent, RunLog, RunMetric
from services.db.runs import transition
from services.settings import Settings
from services.worker.enqueue import enqueue_run, revoke_run

router = APIRouter(prefix="/v1/projects/{project_id}/runs", tags=["runs"], responses=ERROR_RESPONSES)
RunId = Annotated[str, Path(max_length=40)]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128, pattern=r"^[\x21-\x7e]+$")]


def _get(session: Session, project_id: str, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None or run.project_id != project_id:
        raise not_found("run")
    return run


def _existing_for_key(session: Session, project_id: str, key: str, digest: str) -> Run | None:
    run = session.scalar(select(Run).where(Run.project_id == project_id, Run.idempotency_key == key))
    if run is not None and run.request_hash != digest:
        raise ApiError(409, "idempotency_conflict", "Idempotency-Key was already used with a different request body")
    return run


def _bind_model_version(session: Session, project_id: str, raw: dict[str, Any], spec: dict[str, Any],
                        settings: Settings) -> None:
    """Evaluation of a registered version: check it is in the project; default the model to its artifact."""
    version_id = spec.get("model_version_id")
    if version_id:
        row = session.execute(select(ModelVersion, RegisteredModel).join(
            RegisteredModel, RegisteredModel.id == ModelVersion.model_id).where(ModelVersion.id == version_id)).first()
        if row is None or row[1].project_id != project_id:
            raise ApiError(422, "validation_error", f"spec.model_version_id: unknown model version {version_id}",
                           [{"field": "spec.model_version_id", "message": "unknown model version"}])
        if "model" not in (raw.get("config") or {}):
            spec["config"]["model"] = row[0].artifact_uri
    model = str(spec["config"].get("model", ""))
    if model.startswith(("/", "file:")) or "://" in model:
        check_uri(model, settings, field="spec.config.model", project_id=project_id)


@router.post("", response_model=RunOut, status_code=201, summary="Submit a run",
             responses={200: {"model": RunOut, "description": "same Idempotency-Key and body: the existing run"}})
async def submit_run(body: RunSubmit, access: Editor, session: SessionDep, settings: SettingsDep, response: Response,
                     idempotency_key: IdemKey = None) -> RunOut:
    """Validates the spec (the typed config of the kind), stores the run, then enqueues it."""
    # async around one thread-pool call: a sync route costs a second thread hop to validate its result
    return await run_in_threadpool(_submit_run, body, access, session, settings, response, idempotency_key)


_KFP_AVAILABLE = importlib.util.find_spec("pipelines.runner") is not None  # the data pipeline's kfp engine


def _validated_spec(body: RunSubmit, session: Session, pid: str, settings: Settings) -> dict[str, Any]:
    """The stored form of the spec (already the kind's typed config: RunSubmit validated it), its
    engine resolved and its URIs, hosts, endpoints and model version checked against the policy."""
    try:
        spec = dump_spec(resolve_engine(body.spec, kfp_available=_KFP_AVAILABLE))
    except SpecError as exc:
        first = exc.errors[0]
        raise ApiError(422, "validation_error", f"invalid request at {first['field']}: {first['message']}", exc.errors) from exc
    for field, uri in input_uris(body.kind, spec):
        check_uri(uri, settings, field=field, project_id=pid, need_driver=True)
    submitted = body.spec.model_dump(mode="json", exclude_unset=True)  # what the client wrote, not the defaults
    check_spec(submitted, settings, pid)  # hosts, env vars, endpoints, paths and modules a run may name
    if body.kind == "evaluation":
        _bind_model_version(session, pid, submitted, spec, settings)
    return spec


def _submit_run(body: RunSubmit, access: ProjectAccess, session: Session, settings: Settings, response: Response,
                idempotency_key: str | None) -> RunOut:
    pid = access.project.id
    digest = hashlib.sha256(orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)).hexdigest()
    # Insert first, look up on conflict: a new key costs no extra query; the unique
    # (project_id, idempotency_key) constraint decides races. A replay whose body no longer
    # validates still gets the stored run (lookup on the error path).
    try:
        spec = _validated_spec(body, session, pid, settings)
    except ApiError:
        if idempotency_key and (existing := _existing_for_key(session, pid, idempotency_key, digest)):
            response.status_code = 200
            return RunOut.model_validate(existing)
        raise
    now = utcnow()
    run = Run(id=new_id("run"), project_id=pid, kind=body.kind, name=body.name, spec=spec,
              backend=body.backend or settings.backend, state="queued", idempotency_key=idempotency_key,
              request_hash=digest, created_by=access.user.id, created_at=now, updated_at=now, outputs={})
    session.add(run)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = _existing_for_key(session, pid, idempotency_key or "", digest)
        if existing is None:
            raise
        response.status_code = 200
        return RunOut.model_validate(existing)
    session.execute(insert(RunEvent).values(run_id=run.id, attempt=1, from_state=None, to_state="queued",
                                            message="submitted", at=now))
    session.commit()
    enqueue_run(settings, run.id)  # only after commit: the worker always finds the row
    return RunOut.model_validate(run)


@router.get("", response_model=Page[RunOut], summary="List runs (newest first)")
async def list_runs(
    access: Viewer, session: SessionDep, settings: SettingsDep,
    kind: RunKind | None = None, state: RunState | None = None,
    name: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[RunOut]:
    return await run_in_threadpool(_list_runs, access, session, settings, kind, state, name, limit, cursor)


_RUN_OUT_COLUMNS = [Run.__table__.c[name] for name in RunOut.model_fields]


def _list_runs(access: ProjectAccess, session: Session, settings: Settings, kind: str | None, state: str | None,
               name: str | None, limit: int, cursor: str | None) -> Page[RunOut]:
    """Only the columns the response has, as plain rows (no ORM identity map for a page of runs)."""
    q = select(*_RUN_OUT_COLUMNS).where(Run.project_id == access.project.id).order_by(Run.id.desc()).limit(limit + 1)
    if kind:
        q = q.where(Run.kind == kind)
    if state:
        q = q.where(Run.state == state)
    if name:
        q = q.where(Run.name == name)
    after = decode_cursor(cursor, settings.secret_key, f"runs:{access.project.id}")
    if after:
        q = q.where(Run.id < after)
    rows = session.execute(q).all()
    nxt = encode_cursor(rows[limit - 1].id, settings.secret_key, f"runs:{access.project.id}") if len(rows) > limit else None
    return Page[RunOut](data=[RunOut.model_validate(r) for r in rows[:limit]], next_cursor=nxt)


@router.get("/{run_id}", response_model=RunOut, summary="Get a run")
def get_run(run_id: RunId, access: Viewer, session: SessionDep) -> Run:
    return _get(session, access.project.id, run_id)


@router.post("/{run_id}/cancel", response_model=RunOut, summary="Cancel a run")
def cancel_run(run_id: RunId, access: Editor, session: SessionDep, settings: SettingsDep) -> Run:
    """Queued runs are cancelled at once; running ones go to ``cancelling`` and the worker stops them."""
    run = _get(session, access.project.id, run_id)
    if run.state == "cancelling":
        return run
    if run.state in TERMINAL:
        raise ApiError(409, "invalid_state", f"run is {run.state}; only active runs can be cancelled")
    moved = transition(session, run.id, "cancelled", from_states=["queued"], message="cancelled before start",
                       lease_owner=None, lease_expires_at=None)
    if moved is None:
        moved = transition(session, run.id, "cancelling", message=f"cancel requested by {access.user.name}")
    if moved is None:
        session.rollback()
        raise ApiError(409, "invalid_state", "the run changed state; reload and retry")
    session.commit()
    if moved.state == "cancelled":
        revoke_run(settings, run.id)
    return moved


@router.post("/{run_id}/retry", response_model=RunOut, summary="Retry a failed or cancelled run")
def retry_run(run_id: RunId, access: Editor, session: SessionDep, settings: SettingsDep) -> Run:
    """A new attempt of the same run (attempt + 1), back to ``queued``."""
    run = _get(session, access.project.id, run_id)
    if run.state not in ("failed", "cancelled"):
        raise ApiError(409, "invalid_state", f"run is {run.state}; only failed or cancelled runs can be retried")
    moved = transition(session, run.id, "queued", from_states=["failed", "cancelled"], attempt=run.attempt + 1,
                       claims=0, crashes=0, stage_result=None, lease_owner=None, lease_expires_at=None, external_ref=None,
                       submitted_at=None, started_at=None, finished_at=None, message=f"retry by {access.user.name}")
    if moved is None:
        session.rollback()
        raise ApiError(409, "invalid_state", "the run changed state; reload and retry")
    session.commit()
    enqueue_run(settings, run.id)
    return moved


@router.get("/{run_id}/events", response_model=list[RunEventOut], summary="State history")
def run_events(run_id: RunId, access: Viewer, session: SessionDep) -> list[RunEvent]:
    _get(session, access.project.id, run_id)
    return list(session.scalars(select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.id).limit(10_000)))


@router.get("/{run_id}/logs", response_model=Page[LogLine], summary="Logs, paged (oldest first)")
def run_logs(
    run_id: RunId, access: Viewer, session: SessionDep, settings: SettingsDep,
    attempt: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500, cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[LogLine]:
    _get(session, access.project.id, run_id)
    q = select(RunLog).where(RunLog.run_id == run_id).order_by(RunLog.id).limit(limit + 1)
    if attempt:
        q = q.where(RunLog.attempt == attempt)
    after = decode_int_cursor(cursor, settings.secret_key, f"logs:{run_id}")
    if after:
        q = q.where(RunLog.id > after)
    rows = list(session.scalars(q))
    last = rows[min(len(rows), limit) - 1].id if rows else (after or 0)
    return Page[LogLine](data=[LogLine.model_validate(r) for r in rows[:limit]],
                         next_cursor=encode_cursor(str(last), settings.secret_key, f"logs:{run_id}"))


@router.get("/{run_id}/logs/stream", summary="Logs as Server-Sent Events (follows until the run ends)",
            response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def stream_logs(
    run_id: RunId, access: Viewer, session: SessionDep, request: Request,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20, pattern=r"^\d+$")] = None,
) -> StreamingResponse:
    await asyncio.to_thread(_get, session, access.project.id, run_id)
    factory = request.app.state.session_factory
    start = int(last_event_id) if last_event_id else 0

    def fetch(after: int) -> tuple[list[tuple[int, str]], str]:
        with factory() as s:
            rows = s.execute(select(RunLog.id, RunLog.line).where(RunLog.run_id == run_id, RunLog.id > after)
                             .order_by(RunLog.id).limit(1000)).all()
            state = s.scalar(select(Run.state).where(Run.id == run_id)) or "failed"
        return [(r[0], r[1]) for r in rows], state

    async def events() -> AsyncIterator[bytes]:
        after = start
        while True:
            rows, state = await asyncio.to_thread(fetch, after)
            for rid, line in rows:
                after = rid
                yield f"id: {rid}\ndata: {orjson.dumps(line).decode()}\n\n".encode()
            if not rows and state in TERMINAL:
                yield f"event: end\ndata: {orjson.dumps(state).decode()}\n\n".encode()
                return
            if await request.is_disconnected():
                return
            if not rows:
                await asyncio.sleep(0.5)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/{run_id}/metrics", summary="Metric time series", response_model=dict[str, list[MetricPoint]])
def run_metrics(run_id: RunId, access: Viewer, session: SessionDep,
                key: Annotated[str | None, Query(max_length=128)] = None) -> dict[str, Any]:
    _get(session, access.project.id, run_id)
    q = select(RunMetric).where(RunMetric.run_id == run_id).order_by(RunMetric.key, RunMetric.attempt, RunMetric.step)
    if key:
        q = q.where(RunMetric.key == key)
    out: dict[str, list[MetricPoint]] = {}
    for m in session.scalars(q.limit(100_000)):
        out.setdefault(m.key, []).append(MetricPoint.model_validate(m))
    return out
