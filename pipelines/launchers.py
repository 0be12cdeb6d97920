"""How the end-to-end pipeline's training step runs the distributed job.

``TrainingLauncher`` is the interface: launch a training config, follow its state, cancel it.
``local`` runs ``xlam train run`` as a subprocess (local Ray); ``rayjob``
(:mod:`pipelines.rayjob_launcher`) creates a ``TrainingRun`` custom resource through the shared
Kubernetes contract and follows its phase (the operator runs it as a KubeRay RayJob).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from platform_contracts.runstate import LAUNCH_TERMINAL, LaunchPhase


@dataclass
class LaunchState:
    state: LaunchPhase
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)


class TrainingLauncher(ABC):
    name: str

    @abstractmethod
    def launch(self, train_config: dict[str, Any], output_dir: str) -> str:
        """Start the job; return its id."""

    @abstractmethod
    def state(self, job_id: str) -> LaunchState: ...

    @abstractmethod
    def cancel(self, job_id: str) -> None: ...

    def wait(self, job_id: str, *, poll_seconds: float = 2.0, timeout: float | None = None,
             on_state: Callable[[LaunchState], None] | None = None) -> LaunchState:
        """Poll until a terminal state, reporting every state change."""
        start, last = time.monotonic(), ""
        while True:
            st = self.state(job_id)
            if on_state and st.state != last:
                on_state(st)
            last = st.state
            if st.state in LAUNCH_TERMINAL:
                return st
            if timeout is not None and time.monotonic() - start > timeout:
                self.cancel(job_id)
                return LaunchState("failed", f"timed out after {timeout:.0f}s")
            time.sleep(poll_seconds)


class LocalLauncher(TrainingLauncher):
    """``python -m pipelines.launchers CONFIG RESULT`` in a subprocess (``run_training``: local Ray by
    default), its log streamed to ours; cancel terminates it."""

    name = "local"

    def __init__(self) -> None:
        self._procs: dict[str, tuple[subprocess.Popen[bytes], str]] = {}

    def launch(self, train_config: dict[str, Any], output_dir: str) -> str:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        cfg = dict(train_config)
        cfg.setdefault("output_dir", output_dir)
        cfg_path = Path(tempfile.mkdtemp(prefix="xlam-train-")) / "train.yaml"
        cfg_path.write_text(yaml.safe_dump(cfg))
        result_path = str(cfg_path.with_name("result.json"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.launchers", str(cfg_path), result_path],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        job_id = f"local-{proc.pid}"
        self._procs[job_id] = (proc, result_path)
        return job_id

    def state(self, job_id: str) -> LaunchState:
        proc, result_path = self._procs[job_id]
        code = proc.poll()
        if code is None:
            return LaunchState("running")
        if code == 0:
            result = json.loads(Path(result_path).read_text()) if Path(result_path).exists() else {}
            return LaunchState("succeeded", result=result)
        if code < 0:
            return LaunchState("cancelled", f"killed by signal {-code}")
        return LaunchState("failed", f"xlam train run exited with code {code}")

    def cancel(self, job_id: str) -> None:
        proc, _ = self._procs[job_id]
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _rayjob() -> TrainingLauncher:
    from pipelines.rayjob_launcher import RayJobLauncher  # imported on use: it needs the Kubernetes contract

    return RayJobLauncher()


_LAUNCHERS: dict[str, Callable[[], TrainingLauncher]] = {"local": LocalLauncher, "rayjob": _rayjob}


def get_launcher(name: str) -> TrainingLauncher:
    if name not in _LAUNCHERS:
        raise ValueError(f"unknown launcher {name!r}; known: {', '.join(sorted(_LAUNCHERS))}")
    return _LAUNCHERS[name]()


def _main(config_path: str, result_path: str) -> None:
    """Subprocess entry of :class:`LocalLauncher`: run the training and write its result as JSON."""
    from xlam.training import run_training
    from xlam.training.config import load_train_config

    result = run_training(load_train_config(config_path))
    Path(result_path).write_text(result.model_dump_json())


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
