"""ASGI middleware: request ids + JSON access logs + Prometheus metrics, and the body size limit."""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from typing import Any

import orjson
from fastapi import HTTPException
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("services.access")

REQUESTS = Counter("xlam_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("xlam_http_request_seconds", "HTTP request latency", ["method", "route"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3), "level": record.levelname, "logger": record.name,
            "msg": record.getMessage(), "request_id": request_id_var.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            out.update(extra)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class RequestContextMiddleware:
    """Assigns ``X-Request-ID`` (or keeps a sane client one), logs and measures every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_wrapper(message)

        try:
            if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
                await _send_error(tracking_send, 400, "bad_request", "NUL characters are not allowed in the URL")
                return
            try:
                await self.app(scope, receive, tracking_send)
            except Exception:
                # Unhandled: a 500 that still names the request and ends the connection (the
                # server may be in a bad state; keep-alive clients must not reuse it).
                logging.getLogger("services.api").exception("unhandled error")
                if not started:
                    await _send_error(tracking_send, 500, "internal_error", "internal server error",
                                      extra_headers=[(b"connection", b"close")])
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(scope["method"], template).observe(elapsed)
            if template not in ("/healthz", "/metrics"):
                access_log.info(
                    "request", extra={"fields": {"method": scope["method"], "path": template,
                                                 "status": status, "ms": round(elapsed * 1000, 2)}}
                )
            request_id_var.reset(token)


class _TooLarge(HTTPException):
    """Raised from ``receive``; FastAPI re-raises HTTPExceptions from body parsing unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body exceeds {limit} bytes")


class BodySizeLimitMiddleware:
    """413 for bodies over the limit: by Content-Length up front, and by counting streamed bytes."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, upload_max_bytes: int, upload_suffix: str = "/upload") -> None:
        self.app, self.max_bytes, self.upload_max_bytes, self.upload_suffix = app, max_bytes, upload_max_bytes, upload_suffix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max_bytes if scope["path"].endswith(self.upload_suffix) else self.max_bytes
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = False
            if too_big:
                await _send_413(send, limit)
                return
        received = 0
        started = False
        tail = b""

        async def limited_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise _TooLarge(limit)
                window = tail + chunk
                if b"\x00" in chunk or b"\\u0000" in window:
                    raise _NulInBody()
                tail = window[-5:]
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_413(send, limit)
        except _NulInBody:
            if not started:
                await _send_error(send, 422, "validation_error", "NUL characters (\\u0000) are not allowed in "
                                  "request bodies", [{"field": "body", "message": "contains a NUL character"}])


class _NulInBody(HTTPException):
    """PostgreSQL text cannot hold NUL: refuse such bodies before anything parses them."""

    def __init__(self) -> None:
        super().__init__(status_code=422, detail="NUL characters are not allowed in request bodies")


async def _send_error(send: Send, status: int, code: str, message: str, details: Any = None,
                      extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = orjson.dumps({"code": code, "message": message, "details": details})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(extra_headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _send_413(send: Send, limit: int) -> None:
    body = orjson.dumps({"code": "payload_too_large", "message": f"request body exceeds {limit} bytes",
                         "details": {"limit_bytes": limit}})
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
