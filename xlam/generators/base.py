"""The generator interface: chat requests in, chat responses out, batched (sync) or concurrent (async).

Every backend (``template``, ``hf``, ``openai``) implements :class:`Generator`. Requests carry
OpenAI-style messages and optional tools; responses carry the text and the tool calls parsed
from it (natively from an API, or decoded from the text with :mod:`xlam.formats`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from abc import ABC
from collections.abc import Coroutine, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from xlam.errors import XlamError
from xlam.records import Message, Tool, ToolCall

FinishReason = Literal["stop", "length", "tool_calls", "error"]
T = TypeVar("T")


class GeneratorError(XlamError):
    """A generation request failed (after retries, for remote backends)."""


class ChatRequest(BaseModel):
    """One chat-completion request."""

    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1, description="The conversation so far (system/user/assistant/tool).")
    tools: list[Tool] = Field(default_factory=list, description="Tools the model may call (sent in OpenAI format).")
    max_tokens: int = Field(default=256, ge=1, description="Most tokens to generate.")
    temperature: float = Field(default=0.0, ge=0.0, description="0 means greedy decoding.")
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int | None = Field(default=None, description="Sampling seed (used when temperature > 0).")
    stop: list[str] = Field(default_factory=list, description="Stop strings; the text is cut before the first one.")
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="Backend hints not sent to models, e.g. {'template': 'echo_calls', 'calls': [...]}.",
    )

    @classmethod
    def from_prompt(cls, prompt: str, *, system: str | None = None, **kwargs: Any) -> ChatRequest:
        """A one-turn request: optional system message plus one user message."""
        messages = [Message(role="system", content=system)] if system else []
        messages.append(Message(role="user", content=prompt))
        return cls(messages=messages, **kwargs)

    def last_user_text(self) -> str:
        return next((m.content or "" for m in reversed(self.messages) if m.role == "user"), "")


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatResponse(BaseModel):
    """One completion. ``tool_calls`` are parsed calls; ``text`` is the raw assistant text."""

    model_config = ConfigDict(extra="forbid")

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason = "stop"
    usage: Usage = Field(default_factory=Usage)
    model: str = ""
    error: str | None = Field(default=None, description="Set (with finish_reason='error') when errors are returned.")
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_message(self) -> Message:
        return Message(role="assistant", content=self.text or None, tool_calls=list(self.tool_calls))


class Generator(ABC):  # noqa: B024 - one of two methods must be overridden (checked below)
    """A chat model. Subclasses implement at least one of :meth:`generate` / :meth:`agenerate`;
    the other defaults to running it (in a worker thread or a private event loop)."""

    name: str = "generator"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.generate is Generator.generate and cls.agenerate is Generator.agenerate:
            raise TypeError(f"{cls.__name__} must implement generate() or agenerate()")

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Answer ``requests`` (batched); one response per request, in order."""
        return run_coroutine_sync(self.agenerate(requests))

    async def agenerate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Answer ``requests`` concurrently; one response per request, in order."""
        return await asyncio.to_thread(self.generate, list(requests))

    def chat(self, messages: list[Message], *, tools: Sequence[Tool] = (), **kwargs: Any) -> ChatResponse:
        """Convenience: one request."""
        return self.generate([ChatRequest(messages=messages, tools=list(tools), **kwargs)])[0]

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, models). Safe to call twice."""

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """Short provenance string, e.g. ``hf:SmolLM2-135M-Instruct``."""
        return self.name


def run_coroutine_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code, also when called inside a running event loop
    (then it runs in a private loop on a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
