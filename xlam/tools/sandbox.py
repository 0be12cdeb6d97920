"""Run tool calls in a sandboxed subprocess and classify what happened.

One child process runs a whole batch of calls (start-up is paid once per batch, not per call).
The child (:mod:`xlam.tools.sandbox_child`) runs with ``python -I -B`` in a fresh temp dir, with
an address-space limit (``RLIMIT_AS``), a per-call CPU limit (``RLIMIT_CPU``), audit-hook guards
against network access, writes outside the temp dir and spawning processes, and, where the
kernel allows unprivileged user namespaces, in its own empty network namespace (``unshare -rn``).
The parent enforces a per-call wall-clock timeout and kills the child's process group. When a
call kills the child (timeout, CPU hard limit, crash), the rest of the batch continues in a new
child.

Error classes: ``timeout``, ``memory``, ``cpu``, ``exception:<Type>``, ``undefined_tool``,
``network_denied``, ``filesystem_denied``, ``process_denied``, ``not_executable``,
``crash:<SIGNAL|exit N>``, ``sandbox_error``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xlam.records import ToolCall
from xlam.tools.registry import ToolRegistry

CHILD_SCRIPT = Path(__file__).with_name("sandbox_child.py")
_STARTUP_SECONDS = 20.0


class SandboxLimits(BaseModel):
    """Limits for one sandboxed call (CPU and wall are per call; memory is the child's address space)."""

    model_config = ConfigDict(extra="forbid")

    wall_seconds: float = Field(default=10.0, gt=0, description="Wall-clock timeout per call.")
    cpu_seconds: float = Field(default=10.0, ge=0, description="CPU seconds per call (0: no CPU limit).")
    memory_mb: int = Field(
        default=1024, ge=0, description="Address-space limit of the child in MiB (0: none)."
    )
    allow_network: bool = Field(default=False, description="Allow all network access.")
    allow_hosts: list[str] = Field(
        default_factory=list,
        description="Allow list for REST tools without allow_network: base URLs (http://h:8000/api), h:port or hosts.",
    )
    use_namespaces: bool = Field(
        default=True, description="Use `unshare -rn` (empty network namespace) when possible."
    )


class ExecutionResult(BaseModel):
    """Outcome of one call. ``value`` is JSON-safe; ``lossy`` marks values that fell back to repr."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    value: Any = None
    error_class: str | None = None
    message: str = ""
    seconds: float = 0.0
    lossy: bool = False
    stdout: str = ""


@functools.cache
def network_namespace_available() -> bool:
    """Whether ``unshare -rn`` works here (unprivileged user namespaces)."""
    exe = shutil.which("unshare")
    if exe is None:
        return False
    try:
        return subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def execute_calls(
    calls: Sequence[ToolCall], registry: ToolRegistry, limits: SandboxLimits | None = None
) -> list[ExecutionResult]:
    """Execute ``calls`` (in order, in one sandboxed child process per batch); one result per call."""
    limits = limits or SandboxLimits()
    results: list[ExecutionResult | None] = [None] * len(calls)
    items: list[tuple[int, dict[str, Any]]] = []
    for index, call in enumerate(calls):
        tool = registry.get(call.name)
        if tool is None:
            results[index] = ExecutionResult(
                ok=False,
                error_class="undefined_tool",
                message=f"no executable tool named {call.name!r} in the registry",
            )
            continue
        items.append(
            (
                index,
                {
                    "name": call.name,
                    "arguments": call.arguments,
                    "kind": tool.kind,
                    "target": tool.target,
                    "endpoint": tool.endpoint,
                },
            )
        )
    if items:
        with tempfile.TemporaryDirectory(prefix="xlam-sandbox-") as tmp:
            remaining = items
            while remaining:
                done, remaining = _run_child(remaining, tmp, limits)
                for index, result in done.items():
                    results[index] = result
    return [r if r is not None else ExecutionResult(ok=False, error_class="sandbox_error") for r in results]


def _command(limits: SandboxLimits) -> list[str]:
    cmd = [sys.executable, "-I", "-B", str(CHILD_SCRIPT)]
    isolate = limits.use_namespaces and not limits.allow_network and not limits.allow_hosts
    if isolate and network_namespace_available():
        cmd = [str(shutil.which("unshare")), "-rn", "--", *cmd]
    return cmd


def _child_env(tmp: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": tmp,
        "TMPDIR": tmp,
        "PYTHONHASHSEED": "0",
    }
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = "1"
    return env


def _crash_class(returncode: int, stderr: str, limits: SandboxLimits, killed_by_us: bool) -> tuple[str, str]:
    if killed_by_us:
        return "timeout", f"call exceeded the wall-clock limit of {limits.wall_seconds:g}s"
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr or "std::bad_alloc" in stderr:
        return "memory", f"out of memory (limit {limits.memory_mb} MiB)"
    if returncode < 0:
        sig = signal.Signals(-returncode)
        if sig in (signal.SIGXCPU, signal.SIGKILL) and limits.cpu_seconds:
            return "cpu", f"CPU time limit of {limits.cpu_seconds:g}s exceeded ({sig.name})"
        return f"crash:{sig.name}", f"child killed by {sig.name}"
    return f"crash:exit {returncode}", f"child exited with status {returncode}"


def _run_child(
    items: list[tuple[int, dict[str, Any]]], tmp: str, limits: SandboxLimits
) -> tuple[dict[int, ExecutionResult], list[tuple[int, dict[str, Any]]]]:
    """Run ``items`` in one child; returns finished results and the items still to run."""
    payload = json.dumps(
        {"sys_path": sys.path, "tmpdir": tmp, "limits": limits.model_dump(), "calls": [c for _, c in items]},
        default=repr,
    ).encode()
    done: dict[int, ExecutionResult] = {}
    with tempfile.TemporaryFile() as errlog:
        proc = subprocess.Popen(
            _command(limits),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errlog,
            cwd=tmp,
            env=_child_env(tmp),
            start_new_session=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        started: int | None = None
        call_start = time.monotonic()
        killed = False
        try:
            try:
                proc.stdin.write(payload)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            selector = selectors.DefaultSelector()
            selector.register(proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + _STARTUP_SECONDS + limits.wall_seconds
            buffer = b""
            eof = False
            while not eof:
                timeout = deadline - time.monotonic()
                if timeout <= 0 or not selector.select(timeout):
                    killed = True
                    break
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    eof = True
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    event = json.loads(line)
                    if event["event"] == "start":
                        started = int(event["i"])
                        call_start = time.monotonic()
                        deadline = call_start + limits.wall_seconds
                    else:
                        position = int(event.pop("i"))
                        event.pop("event")
                        done[items[position][0]] = ExecutionResult(**event)
                        started = None
                        deadline = time.monotonic() + _STARTUP_SECONDS
            selector.close()
        finally:
            if killed or proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        errlog.seek(0)
        stderr = errlog.read().decode("utf-8", "replace")[-4000:]
    finished = {items.index(it) for it in items if it[0] in done}
    if len(done) == len(items):
        return done, []
    if started is None:
        # The child died outside a call (start-up failure or crash between calls).
        first = next(i for i in range(len(items)) if i not in finished)
        if killed or (first == 0 and not done):
            error, message = (
                "sandbox_error",
                f"sandbox child failed to start or run: {stderr.strip()[-800:]}",
            )
            for position in range(first, len(items)):
                done[items[position][0]] = ExecutionResult(ok=False, error_class=error, message=message)
            return done, []
        return done, items[first:]
    error, message = _crash_class(proc.returncode, stderr, limits, killed)
    elapsed = time.monotonic() - call_start
    done[items[started][0]] = ExecutionResult(ok=False, error_class=error, message=message, seconds=elapsed)
    return done, items[started + 1 :]
