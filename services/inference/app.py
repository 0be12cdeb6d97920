"""The FastAPI app: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /healthz``, ``GET /metrics``.

Model text is decoded into OpenAI ``tool_calls`` with :func:`xlam.formats.decode_calls` (through
the generator backend), so clients written for vLLM's tool parser work unchanged. ``stream=true``
is answered as server-sent events (one content or tool-call delta, then ``[DONE]``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from services.inference.batching import BatchingQueue
from services.inference.schemas import ChatCompletionRequest
from xlam.generators import ChatRequest, ChatResponse, Generator, GeneratorError, decode_tool_calls
from xlam.records import Message, Tool

DEFAULT_MAX_TOKENS = 256


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"message": message, "type": kind, "code": None}})


def to_chat_request(body: ChatCompletionRequest) -> ChatRequest:
    """Translate the wire request; raises ``ValueError`` with a client-facing message."""
    messages = []
    for i, raw in enumerate(body.messages):
        try:
            messages.append(Message.from_openai(raw))
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"messages[{i}]: {exc}") from exc
    tools = [] if body.tool_choice == "none" else [Tool.from_openai(t.model_dump()) for t in body.tools or []]
    stop = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    return ChatRequest(
        messages=messages,
        tools=tools,
        max_tokens=body.max_completion_tokens or body.max_tokens or DEFAULT_MAX_TOKENS,
        temperature=body.temperature or 0.0,
        top_p=body.top_p or 1.0,
        seed=body.seed,
        stop=stop,
    )


def _wire_tool_calls(response: ChatResponse) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id or f"call_{uuid.uuid4().hex[:24]}",
            "type": "function",
            "function": {"name": call.name, "arguments": orjson.dumps(call.arguments).decode()},
        }
        for call in response.tool_calls
    ]


def completion_payload(response: ChatResponse, model: str, completion_id: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": response.text}
    if response.tool_calls:
        message["content"] = None
        message["tool_calls"] = _wire_tool_calls(response)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": response.finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": response.usage.prompt_tokens,
            "completion_tokens": response.usage.completion_tokens,
            "total_tokens": response.usage.total_tokens,
        },
    }


def _sse_chunks(response: ChatResponse, model: str, completion_id: str) -> Iterator[bytes]:
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    delta: dict[str, Any] = {"role": "assistant"}
    if response.tool_calls:
        delta["tool_calls"] = [{"index": i, **tc} for i, tc in enumerate(_wire_tool_calls(response))]
    else:
        delta["content"] = response.text
    for choice in ({"index": 0, "delta": delta, "finish_reason": None},
                   {"index": 0, "delta": {}, "finish_reason": response.finish_reason}):
        yield b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n"
    yield b"data: [DONE]\n\n"


def create_app(
    generator: Generator, *, model_name: str | None = None, max_batch: int = 8, max_wait_s: float = 0.01
) -> FastAPI:
    """An app serving ``generator`` under ``model_name`` (default: the generator's name)."""
    served = model_name or generator.describe()
    queue = BatchingQueue(generator, max_batch=max_batch, max_wait_s=max_wait_s)
    registry = CollectorRegistry()
    requests_total = Counter("xlam_serve_requests", "Chat requests by outcome", ["outcome"], registry=registry)
    latency = Histogram("xlam_serve_request_seconds", "Chat request latency", registry=registry)
    tokens = Counter("xlam_serve_tokens", "Tokens processed", ["kind"], registry=registry)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        queue.start()
        try:
            yield
        finally:
            await queue.stop()
            generator.close()

    app = FastAPI(title="xlam serve", version="1", lifespan=lifespan)
    app.state.queue = queue

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error(400, f"{where}: {first.get('msg')}" if where else str(first.get("msg")))

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "model": served}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": served, "object": "model", "created": 0, "owned_by": "xlam"}]}

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(registry).decode(), media_type="text/plain; version=0.0.4")

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatCompletionRequest) -> JSONResponse | StreamingResponse:
        if body.model and body.model not in (served, "default"):
            requests_total.labels("not_found").inc()
            return _error(404, f"model {body.model!r} is not served here (serving {served!r})", "not_found_error")
        try:
            request = to_chat_request(body)
        except ValueError as exc:
            requests_total.labels("invalid").inc()
            return _error(400, str(exc))
        start = time.perf_counter()
        try:
            response = await queue.submit(request)
        except GeneratorError as exc:
            requests_total.labels("error").inc()
            return _error(500, str(exc), "server_error")
        if request.tools and not response.tool_calls and response.ok:
            calls = decode_tool_calls(response.text)
            if calls:
                response = response.model_copy(update={"tool_calls": calls, "finish_reason": "tool_calls"})
        latency.observe(time.perf_counter() - start)
        requests_total.labels("ok").inc()
        tokens.labels("prompt").inc(response.usage.prompt_tokens)
        tokens.labels("completion").inc(response.usage.completion_tokens)
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if body.stream:
            return StreamingResponse(_sse_chunks(response, served, completion_id), media_type="text/event-stream")
        return JSONResponse(completion_payload(response, served, completion_id))

    return app
