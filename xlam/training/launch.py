"""``run_training(config) -> TrainResult``: start the per-worker loop with the configured launcher.

- ``ray`` (default): Ray Train ``TorchTrainer`` (ScalingConfig, RunConfig with an fsspec
  ``storage_path``, CheckpointConfig, FailureConfig). Uses a local Ray when none is running and
  ``distributed.ray_address`` is unset.
- ``torchrun``: ``python -m torch.distributed.run --nproc_per_node N -m xlam.training.worker``
  (GPU boxes without Ray; the same loop).
- ``local``: one worker in this process (quick mode; a one-process gloo/NCCL group).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from xlam.training.config import TrainConfig


class TrainResult(BaseModel):
    """What a finished run left behind."""

    output_dir: str
    checkpoint_uri: str | None = Field(default=None, description="Newest checkpoint (directory or storage URI).")
    hf_export_dir: str | None = None
    final_step: int = 0
    stopped: str = ""
    metrics: list[dict[str, Any]] = Field(default_factory=list, description="Per-step metrics history.")
    model_card: dict[str, Any] | None = None
    render: dict[str, int] = Field(default_factory=dict, description="Examples rendered/skipped/truncated.")


def _collect(config: TrainConfig, checkpoint_uri: str | None) -> TrainResult:
    out = Path(config.output_dir)
    result_file = out / "result.json"
    if not result_file.is_file():
        raise RuntimeError(f"training ended without {result_file}; see the worker logs")
    raw = json.loads(result_file.read_text())
    card = None
    if raw.get("export_dir") and (Path(raw["export_dir"]) / "model_card.json").is_file():
        card = json.loads((Path(raw["export_dir"]) / "model_card.json").read_text())
    if checkpoint_uri is None and (out / "checkpoints" / "latest").is_file():
        checkpoint_uri = str(out / "checkpoints" / (out / "checkpoints" / "latest").read_text().strip())
    return TrainResult(
        output_dir=str(out), checkpoint_uri=checkpoint_uri, hf_export_dir=raw.get("export_dir"),
        final_step=raw["final_step"], stopped=raw["stopped"], metrics=raw["history"], model_card=card,
        render=raw.get("render", {}),
    )


def _run_ray(config: TrainConfig) -> TrainResult:
    import ray
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    from xlam.training.loop import ray_train_loop

    d = config.distributed
    started_here = False
    if not ray.is_initialized():
        env = {"env_vars": {"DS_ACCELERATOR": "cuda" if d.use_gpu else "cpu", "RAY_TRAIN_V2_ENABLED": "1"}}
        if d.ray_address:
            ray.init(address=d.ray_address, runtime_env=env)
        else:
            ray.init(num_cpus=max(2, int(d.num_workers * d.cpus_per_worker)), include_dashboard=False,
                     runtime_env=env, log_to_driver=True)
        started_here = True
    storage = config.checkpoint.storage_path or str(Path(config.output_dir).resolve() / "ray")
    try:
        trainer = TorchTrainer(
            ray_train_loop,
            train_loop_config=config.model_dump(mode="json"),
            scaling_config=ScalingConfig(num_workers=d.num_workers, use_gpu=d.use_gpu,
                                         resources_per_worker={"CPU": d.cpus_per_worker}),
            torch_config=TorchConfig(backend="nccl" if d.use_gpu else "gloo"),
            run_config=RunConfig(
                name=config.name,
                storage_path=storage,
                checkpoint_config=CheckpointConfig(num_to_keep=config.checkpoint.keep),
                failure_config=FailureConfig(max_failures=d.max_failures),
            ),
        )
        result = trainer.fit()
    finally:
        if started_here:
            ray.shutdown()
    if result.error is not None:
        raise RuntimeError(f"training failed: {result.error}") from result.error
    uri = result.checkpoint.path if result.checkpoint is not None else None
    return _collect(config, uri)


def _run_torchrun(config: TrainConfig) -> TrainResult:
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "train_config.json"
    cfg_path.write_text(config.model_dump_json())
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={config.distributed.num_workers}", "-m", "xlam.training.worker", str(cfg_path)]
    env = {**os.environ, "DS_ACCELERATOR": "cuda" if config.distributed.use_gpu else "cpu"}
    proc = subprocess.run(cmd, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"torchrun exited with {proc.returncode}")
    return _collect(config, None)


def _run_local(config: TrainConfig) -> TrainResult:
    from xlam.training.loop import train_loop_per_worker

    os.environ.setdefault("DS_ACCELERATOR", "cuda" if config.distributed.use_gpu else "cpu")
    train_loop_per_worker(config.model_dump(mode="json"))
    return _collect(config, None)


def run_training(config: TrainConfig) -> TrainResult:
    """Train as configured; returns where the checkpoint, export and metrics are."""
    launcher = config.distributed.launcher
    if launcher == "ray":
        return _run_ray(config)
    if launcher == "torchrun":
        return _run_torchrun(config)
    return _run_local(config)
