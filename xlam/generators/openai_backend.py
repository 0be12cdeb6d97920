"""The ``openai`` backend: any OpenAI-compatible ``/chat/completions`` endpoint (vLLM, TGI,
llama.cpp server, hosted APIs, ``xlam serve``).

Requests run concurrently on one ``httpx.AsyncClient`` with at most ``max_concurrency`` in flight,
an optional client-side rate limit, per-request timeouts, and retries with jittered exponential
backoff on 429, 5xx, timeouts and connection errors (honouring ``Retry-After``). The API key is
read from the environment variable named by ``api_key_env`` and is never logged or stored.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from xlam.generators.base import ChatRequest, ChatResponse, FinishReason, Generator, GeneratorError, Usage
from xlam.generators.config import GeneratorConfig
from xlam.generators.parsing import decode_tool_calls
from xlam.generators.ratelimit import AsyncRateLimiter
from xlam.records import Message

log = logging.getLogger(__name__)
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class RetryableStatus(GeneratorError):
    """An HTTP status worth retrying; carries the server's Retry-After (seconds), if any."""

    def __init__(self, status: int, body: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.retry_after = retry_after


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableStatus | httpx.TimeoutException | httpx.TransportError)


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def request_body(request: ChatRequest, model: str | None, extra: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a chat-completions call for ``request``."""
    body: dict[str, Any] = {
        "model": model or "default",
        "messages": [m.to_openai() for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
    }
    if request.tools:
        body["tools"] = [t.to_openai(strip_extensions=True) for t in request.tools]
    if request.seed is not None:
        body["seed"] = request.seed
    if request.stop:
        body["stop"] = request.stop
    body.update(extra)
    return body


def parse_completion(payload: dict[str, Any], *, parse_text: bool) -> ChatResponse:
    """A :class:`ChatResponse` from a chat-completions JSON payload (first choice)."""
    try:
        choice = payload["choices"][0]
        raw_message = choice["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise GeneratorError(f"malformed chat-completions response: {str(payload)[:300]}") from exc
    try:
        message = Message.from_openai({"role": "assistant", **raw_message})
    except (ValueError, KeyError) as exc:
        raise GeneratorError(f"malformed assistant message: {exc}") from exc
    text = message.content or ""
    calls = list(message.tool_calls)
    if not calls and parse_text:
        calls = decode_tool_calls(text)
    finish: str = choice.get("finish_reason") or "stop"
    if finish not in ("stop", "length", "tool_calls"):
        finish = "stop"
    if calls and finish == "stop":
        finish = "tool_calls"
    usage = payload.get("usage") or {}
    finish_reason: FinishReason = finish  # type: ignore[assignment]
    return ChatResponse(
        text=text,
        tool_calls=calls,
        finish_reason=finish_reason,
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        ),
        model=str(payload.get("model") or ""),
    )


class OpenAIGenerator(Generator):
    """Chat completions over HTTP, concurrent and retried."""

    def __init__(self, config: GeneratorConfig) -> None:
        if not config.base_url:
            raise GeneratorError("the openai backend needs base_url")
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.name = f"openai:{config.model or 'default'}@{self.base_url}"
        #: Retries performed so far (all requests), for reports and tests.
        self.retries = 0

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", **self.config.extra_headers}
        key = os.environ.get(self.config.api_key_env) if self.config.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_exponential_jitter(initial=self.config.backoff_initial_s, max=self.config.backoff_max_s)(state)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            return min(max(backoff, exc.retry_after), max(self.config.backoff_max_s, exc.retry_after))
        return float(backoff)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.warning("chat request attempt %d failed (%s); retrying", state.attempt_number, type(exc).__name__)

    async def _post(self, client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(f"{self.base_url}/chat/completions", json=body)
        if response.status_code in RETRY_STATUS or response.status_code >= 500:
            raise RetryableStatus(response.status_code, response.text, _retry_after(response.headers))
        if response.status_code >= 400:
            raise GeneratorError(f"HTTP {response.status_code} from {self.base_url}: {response.text[:500]}")
        try:
            payload: dict[str, Any] = response.json()
        except ValueError as exc:
            raise GeneratorError(f"non-JSON response from {self.base_url}: {response.text[:300]}") from exc
        return payload

    async def _one(
        self,
        client: httpx.AsyncClient,
        request: ChatRequest,
        semaphore: asyncio.Semaphore,
        limiter: AsyncRateLimiter | None,
    ) -> ChatResponse:
        body = request_body(request, self.config.model, self.config.extra_body)
        start = time.perf_counter()
        try:
            async with semaphore:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.config.max_retries + 1),
                    wait=self._wait,
                    retry=retry_if_exception(_is_retryable),
                    before_sleep=self._before_sleep,
                    reraise=True,
                ):
                    with attempt:
                        if limiter is not None:
                            await limiter.acquire()
                        payload = await self._post(client, body)
            response = parse_completion(payload, parse_text=bool(request.tools))
        except (GeneratorError, httpx.HTTPError) as exc:
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if not self.config.return_errors:
                raise GeneratorError(f"chat request to {self.base_url} failed: {message}") from exc
            return ChatResponse(finish_reason="error", error=message, seconds=time.perf_counter() - start)
        return response.model_copy(update={"seconds": time.perf_counter() - start})

    async def agenerate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        semaphore = asyncio.Semaphore(self.config.max_concurrency)
        limiter = AsyncRateLimiter(self.config.requests_per_second) if self.config.requests_per_second else None
        limits = httpx.Limits(max_connections=self.config.max_concurrency, max_keepalive_connections=self.config.max_concurrency)
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(self.config.timeout_s), limits=limits, headers=self._headers()
        ) as client:
            tasks = [self._one(client, r, semaphore, limiter) for r in requests]
            results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, ChatResponse)]

    def describe(self) -> str:
        return f"openai:{self.config.model or 'default'}"
