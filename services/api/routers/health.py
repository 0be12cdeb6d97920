"""Unauthenticated health, readiness and metrics endpoints."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.api.errors import error_response

router = APIRouter(tags=["health"])


@lru_cache(maxsize=1)
def migration_head() -> str:
    """The newest alembic revision shipped with this code (what ``xlam migrate`` upgrades to)."""
    from alembic.script import ScriptDirectory

    from services.db.migrate import alembic_config

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or "")


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness (database and broker)", responses={503: {"description": "not ready"}})
def readyz(request: Request) -> Response:
    """Ready when the database answers with its schema at the migration head and the broker accepts a connection."""
    checks: dict[str, str] = {}
    try:
        with request.app.state.session_factory() as s:
            s.execute(text("SELECT 1"))
            checks["database"] = "ok"
            try:
                current = list(s.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except Exception:
                current = []
        head = migration_head()
        checks["schema"] = "ok" if current == [head] else f"error: at {','.join(current) or 'no revision'}, head is {head}"
    except Exception as exc:
        checks.setdefault("database", f"error: {type(exc).__name__}")
        checks["schema"] = "unknown"
    try:
        from services.worker.app import get_celery

        with get_celery(request.app.state.settings).connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    if all(v == "ok" for v in checks.values()):
        import orjson

        return Response(orjson.dumps({"status": "ready", "checks": checks}), media_type="application/json")
    return error_response(503, "not_ready", "a dependency is unavailable", checks)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
