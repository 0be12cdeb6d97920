"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from services.api.errors import install_error_handlers
from services.api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from services.api.routers import auth, datasets, endpoints, health, models, projects, runs
from services.db.session import session_factory
from services.settings import Settings, get_settings

log = logging.getLogger("services.api")

DESCRIPTION = """The xLAM control plane: projects, datasets, runs and the model registry.

Authenticate with `Authorization: Bearer <token>`. Errors always have the body
`{"code": ..., "message": ..., "details": ...}`. Lists are newest-first with opaque `next_cursor`
tokens. Updates take `If-Match` with the `ETag` you read (412 on mismatch, 428 when missing).
"""


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.bootstrap_token:
            from services.api.bootstrap import bootstrap_admin

            with app.state.session_factory() as s:
                bootstrap_admin(s, token=settings.bootstrap_token)
        # Everything imported and built so far lives as long as the process: keep it out of the
        # cyclic GC's generations so collections during requests stay short (p99).
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(title="xLAM control plane", version="1", description=DESCRIPTION, lifespan=lifespan,
                  generate_unique_id_function=_operation_id, debug=settings.debug)
    app.state.settings = settings
    app.state.session_factory = session_factory(settings.database_url, pool_size=settings.db_pool_size,
                                                max_overflow=settings.db_max_overflow)
    install_error_handlers(app)
    for router in (health.router, auth.router, endpoints.router, projects.router, datasets.router, runs.router, models.router):
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
                           expose_headers=["ETag", "X-Request-ID"])
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes,
                       upload_max_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app


def app_from_env() -> Any:
    """Uvicorn factory target: ``uvicorn --factory services.api.app:app_from_env``."""
    from services.api.middleware import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
