"""Real HTTP servers for generator tests: uvicorn in a background thread, or `xlam serve` as a
subprocess. `ScriptedUpstream` is an OpenAI-compatible endpoint whose status codes and delays
follow a script, to exercise retries, timeouts and concurrency limits over real sockets."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def run_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1:<free port>; yields the base URL (…/v1)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def xlam_serve(*args: str, startup_timeout: float = 180.0) -> Iterator[str]:
    """Run `xlam serve ARGS --port <free>` as a subprocess; yields the base URL once /healthz is up."""
    port = free_port()
    cmd = [sys.executable, "-m", "xlam.cli.main", "serve", *args, "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"xlam serve exited with {proc.returncode}:\n{out[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("xlam serve did not become healthy in time")
            time.sleep(0.25)
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Step:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedUpstream:
    """Answers attempt k with ``script[k]`` (the last entry repeats); records what it saw."""

    def __init__(self, script: list[Step] | None = None) -> None:
        self.script = script or [Step()]
        self.attempts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.start_times: list[float] = []
        self.auth_headers: list[str | None] = []
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._handle)

    async def _handle(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            step = self.script[min(self.attempts, len(self.script) - 1)]
            self.attempts += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.start_times.append(time.monotonic())
            self.auth_headers.append(request.headers.get("authorization"))
            self.bodies.append(body)
        try:
            await asyncio.sleep(step.delay)
            if step.status != 200:
                return JSONResponse({"error": {"message": f"scripted {step.status}"}}, step.status, headers=step.headers)
            last = body["messages"][-1].get("content") or ""
            return JSONResponse({
                "id": "x", "object": "chat.completion", "model": body.get("model"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": f"re: {last}"}}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            })
        finally:
            with self._lock:
                self.in_flight -= 1
