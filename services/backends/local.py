"""The local backend: runs the core-library stages in a subprocess of the worker.

The subprocess (``python -m services.backends.stage_runner <work_dir>``) gets its own process
group and dies with the worker process (``PR_SET_PDEATHSIG``), so a killed worker never leaves
orphaned work; cancel sends SIGTERM to the group, then SIGKILL after a grace period. Logs,
metrics and the result are files in the work directory, read incrementally.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from platform_contracts.outputs import RunOutputs
from platform_contracts.runspecs import dump_spec
from services.backends.base import Backend, BackendStatus, RunContext

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    os.setsid()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# The worker's own credentials: a stage process (the run's code, models it loads) never needs them.
PLATFORM_SECRETS = ("XLAM_DATABASE_URL", "XLAM_BROKER_URL", "XLAM_RESULT_BACKEND", "XLAM_SECRET_KEY",
                    "XLAM_BOOTSTRAP_TOKEN")


def stage_environment() -> dict[str, str]:
    """The worker's environment minus the platform's secrets (endpoint keys stay: the stage uses them)."""
    return {k: v for k, v in os.environ.items() if k not in PLATFORM_SECRETS}


class LocalBackend(Backend):
    name = "local"

    def __init__(self, grace_seconds: float = 5.0) -> None:
        self.grace_seconds = grace_seconds
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._offsets: dict[tuple[str, str], int] = {}
        self._cancelled: set[str] = set()

    def submit(self, ctx: RunContext) -> str:
        work = ctx.work_dir
        work.mkdir(parents=True, exist_ok=True)
        ref = f"local:{work}"
        if ref in self._procs:
            return ref
        (work / "spec.json").write_text(json.dumps({
            "run_id": ctx.run_id, "kind": ctx.kind, "spec": dump_spec(ctx.spec), "attempt": ctx.attempt,
            "artifact_root": ctx.artifact_root, "project_id": ctx.project_id,
        }))
        log = open(work / "log.txt", "ab")  # noqa: SIM115 - owned by the child
        env = {**stage_environment(), "PYTHONUNBUFFERED": "1"}
        self._procs[ref] = subprocess.Popen(
            [sys.executable, "-m", "services.backends.stage_runner", str(work)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=work, env=env,
            preexec_fn=_die_with_parent,
        )
        log.close()
        return ref

    @staticmethod
    def _dir(ref: str) -> Path:
        return Path(ref.removeprefix("local:"))

    def status(self, ref: str) -> BackendStatus:
        proc = self._procs.get(ref)
        result_file = self._dir(ref) / "result.json"
        if proc is not None and proc.poll() is None:
            return BackendStatus("running")
        if ref in self._cancelled:
            return BackendStatus("cancelled", "cancelled")
        if result_file.exists():
            result = json.loads(result_file.read_text())
            if result.get("status") == "succeeded":
                return BackendStatus("succeeded", "", RunOutputs.model_validate(result.get("outputs") or {}))
            return BackendStatus("failed", str(result.get("error", "failed"))[:5000])
        if proc is None:
            return BackendStatus("lost", "the local process is gone (worker restarted)")
        return BackendStatus("failed", f"stage process exited with code {proc.returncode} without a result")

    def cancel(self, ref: str) -> None:
        self._cancelled.add(ref)
        proc = self._procs.get(ref)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + self.grace_seconds
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        except ProcessLookupError:
            pass

    def _read_new(self, ref: str, name: str) -> list[str]:
        path = self._dir(ref) / name
        if not path.exists():
            return []
        key = (ref, name)
        with open(path, "rb") as fh:
            fh.seek(self._offsets.get(key, 0))
            data = fh.read()
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self._offsets[key] = self._offsets.get(key, 0) + end + 1
        return [ln.decode("utf-8", "replace").rstrip("\r") for ln in data[:end].split(b"\n")]

    def logs(self, ref: str) -> list[str]:
        return self._read_new(ref, "log.txt")

    def metrics(self, ref: str) -> list[dict[str, Any]]:
        out = []
        for line in self._read_new(ref, "metrics.jsonl"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def cleanup(self, ref: str) -> None:
        proc = self._procs.pop(ref, None)
        if proc is not None and proc.poll() is None:
            self.cancel(ref)
        self._cancelled.discard(ref)
        for key in [k for k in self._offsets if k[0] == ref]:
            del self._offsets[key]
