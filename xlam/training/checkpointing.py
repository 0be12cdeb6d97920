"""Checkpoints: where they go, what they hold, and how a crash mid-save is survived.

A checkpoint directory holds ``engine/`` (the DeepSpeed ZeRO shards or the torch engine state, tag
``state``), ``rank_<r>.pt`` per rank (data-pipeline state, RNG states, step) and, from rank 0,
``trainer_state.json`` (step, world size, metrics history, config) and ``COMPLETE``.

- :class:`LocalCheckpointStore` (torchrun/local launchers, shared filesystem): every rank writes into
  ``checkpoints/.tmp-step_N``; after a barrier rank 0 writes ``COMPLETE``, renames the directory to
  ``step_N`` and atomically replaces ``latest``. A crash at any point leaves ``latest`` on the
  previous complete checkpoint; stale ``.tmp-*`` directories are ignored and cleaned up.
- :class:`RayCheckpointStore` (Ray Train): every rank writes into a private temp dir and calls
  ``ray.train.report(metrics, checkpoint=Checkpoint.from_directory(tmp))``; Ray merges the ranks'
  files into one checkpoint in ``storage_path`` and registers it only once all ranks reported.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

COMPLETE = "COMPLETE"


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


class CheckpointStore:
    def latest(self) -> Path | None:
        raise NotImplementedError

    def begin(self, step: int) -> Path:
        """A directory this rank writes its part of checkpoint ``step`` into."""
        raise NotImplementedError

    def commit(self, step: int, directory: Path, metrics: dict[str, Any]) -> None:
        raise NotImplementedError


class LocalCheckpointStore(CheckpointStore):
    def __init__(self, root: Path, keep: int, rank: int) -> None:
        self.root = root
        self.keep = keep
        self.rank = rank
        root.mkdir(parents=True, exist_ok=True)

    def latest(self) -> Path | None:
        pointer = self.root / "latest"
        if pointer.is_file():
            candidate = self.root / pointer.read_text().strip()
            if (candidate / COMPLETE).is_file():
                return candidate
        complete = sorted(p for p in self.root.glob("step_*") if (p / COMPLETE).is_file())
        return complete[-1] if complete else None

    def begin(self, step: int) -> Path:
        tmp = self.root / f".tmp-step_{step:08d}"
        if self.rank == 0 and tmp.exists():
            shutil.rmtree(tmp)
        _barrier()
        tmp.mkdir(parents=True, exist_ok=True)
        return tmp

    def commit(self, step: int, directory: Path, metrics: dict[str, Any]) -> None:
        _barrier()  # every rank's files are written
        if self.rank == 0:
            (directory / COMPLETE).write_text(json.dumps({"step": step, **metrics}))
            final = self.root / f"step_{step:08d}"
            if final.exists():
                shutil.rmtree(final)
            os.replace(directory, final)
            tmp_pointer = self.root / ".latest.tmp"
            tmp_pointer.write_text(final.name)
            os.replace(tmp_pointer, self.root / "latest")
            self._rotate()
        _barrier()

    def _rotate(self) -> None:
        complete = sorted(p for p in self.root.glob("step_*") if (p / COMPLETE).is_file())
        for old in complete[: -self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        for stale in self.root.glob(".tmp-step_*"):
            shutil.rmtree(stale, ignore_errors=True)


class RayCheckpointStore(CheckpointStore):
    def __init__(self, rank: int) -> None:
        self.rank = rank
        self._restored: Path | None = None

    def latest(self) -> Path | None:
        import ray.train

        checkpoint = ray.train.get_checkpoint()
        if checkpoint is None:
            return None
        local = Path(checkpoint.path)
        if checkpoint.filesystem is not None and checkpoint.filesystem.type_name == "local" and local.is_dir():
            return local
        self._restored = Path(checkpoint.to_directory())
        return self._restored

    def begin(self, step: int) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"xlam-ckpt-{step:08d}-r{self.rank}-"))

    def commit(self, step: int, directory: Path, metrics: dict[str, Any]) -> None:
        import ray.train

        _barrier()
        if self.rank == 0:
            (directory / COMPLETE).write_text(json.dumps({"step": step, **metrics}))
        ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(str(directory)))
        shutil.rmtree(directory, ignore_errors=True)

    def report(self, metrics: dict[str, Any]) -> None:
        import ray.train

        ray.train.report(metrics)
