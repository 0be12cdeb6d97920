"""One error body for every failure: ``{"code", "message", "details"}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from xlam.errors import pydantic_field_path

log = logging.getLogger("services.api")


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, validation_error.")
    message: str = Field(description="What went wrong, for humans.")
    details: Any = Field(default=None, description="Field errors or other structured context.")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = status, code, message, details, headers


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "details": details}, status_code=status,
                          headers=headers)


_STATUS_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 412: "precondition_failed",
                 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
                 428: "precondition_required", 429: "rate_limited"}


_RUN_KINDS = frozenset({"data-pipeline", "synthesis", "training", "evaluation"})


def error_field(loc: tuple[Any, ...]) -> str:
    """The field path of a request error. Inside a run spec (a union discriminated by the run kind) the
    kind's tag is dropped and the path starts at ``spec`` (``spec.config.optim.max_steps``), as the
    spec's other checks name it; the spec as a whole stays ``body.spec``."""
    if len(loc) > 3 and loc[:2] == ("body", "spec") and loc[2] in _RUN_KINDS:
        return pydantic_field_path(("spec", *loc[3:]))
    if len(loc) == 3 and loc[:2] == ("body", "spec") and loc[2] in _RUN_KINDS:
        return "body.spec"
    return pydantic_field_path(loc)


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        out.append({"field": error_field(loc), "message": err.get("msg", ""), "type": err.get("type", "")})
    return out


def allowed_methods(request: Request) -> list[str]:
    """Every method any route serves at this path (Starlette's 405 lists only the first route's)."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "__none__"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        first = details[0] if details else {"field": "", "message": "invalid request"}
        where = f" at {first['field']}" if first["field"] else ""
        if first.get("type") == "json_invalid":
            return error_response(422, "malformed_json", f"the request body is not valid JSON: {first['message']}", details)
        return error_response(422, "validation_error", f"invalid request{where}: {first['message']}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(exc.status_code, code, str(exc.detail), None, headers or None)

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return error_response(412, "precondition_failed", "the resource was modified concurrently; reload and retry")

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", type(exc.orig).__name__)
        return error_response(409, "conflict", "the request conflicts with an existing resource")

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # a value the database cannot store or compare (out of range, bad encoding): the request's fault
        log.info("data error: %s", type(exc.orig).__name__)
        return error_response(422, "validation_error", "a value in the request cannot be stored or compared")

    @app.exception_handler(UnicodeEncodeError)
    async def _encoding(_: Request, exc: UnicodeEncodeError) -> JSONResponse:
        # a lone surrogate ("\\udc80") reached the database driver or a serializer: bad input, not a bug
        return error_response(422, "validation_error", "strings must be valid Unicode (no lone surrogates)")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        from services.api.middleware import request_id_var

        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal server error",
                              headers={"Connection": "close", "X-Request-ID": request_id_var.get()})


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": code.replace("_", " ")}
    for status, code in {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                         409: "conflict", 412: "precondition_failed", 413: "payload_too_large",
                         422: "validation_error", 428: "precondition_required"}.items()
}
