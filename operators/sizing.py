"""Resolve a TrainingRun's cluster size: explicit, or from the training memory planner."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any


class SizingError(ValueError):
    """The run cannot be sized (bad spec or the planner found no feasible layout): permanent."""


@dataclass(frozen=True)
class Sizing:
    source: str  # Planner | Explicit
    nodes: int
    gpus_per_node: int
    zero_stage: int
    note: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted TrainConfig fields the planner recommends

    def as_status(self) -> dict[str, Any]:
        return {"source": self.source, "nodes": self.nodes, "gpusPerNode": self.gpus_per_node,
                "zeroStage": self.zero_stage, "note": self.note[:256]}


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def plan_with_planner(spec: dict[str, Any]) -> Sizing:
    """Ask ``xlam.training.plan`` (TRAINING's GPU memory planner) for the recommended layout."""
    try:
        from xlam.training import plan
    except ImportError as exc:  # the image always ships xlam.training; this is a broken install
        raise SizingError(f"training planner unavailable: {exc}") from exc
    res = spec.get("resources") or {}
    wanted = {
        "recipe": spec["recipe"], "gpu": res.get("gpuType", "h100-80gb"),
        "gpus_per_node": res.get("gpusPerNode"), "nodes": res.get("nodes"),
        "method": res.get("finetune", "full"), "seq": res.get("seqLength", 4096),
    }
    params = inspect.signature(plan).parameters
    kwargs = {k: v for k, v in wanted.items() if k in params and v is not None}
    try:
        result = plan(**kwargs)
    except (ValueError, KeyError) as exc:
        raise SizingError(f"planner rejected the run: {exc}") from exc
    rec = _get(result, "recommended")
    if rec is None:
        raise SizingError("planner returned no recommended layout (no feasible configuration)")
    nodes, gpn, zero = _get(rec, "nodes"), _get(rec, "gpus_per_node"), _get(rec, "zero_stage")
    if not (isinstance(nodes, int) and isinstance(gpn, int) and isinstance(zero, int)):
        raise SizingError(f"planner recommendation incomplete: {rec!r}")
    if res.get("zeroStage") is not None:
        zero = int(res["zeroStage"])
    notes = _get(result, "notes") or []
    note = "; ".join(map(str, notes)) if isinstance(notes, list) else str(notes)
    per_gpu = _get(rec, "per_gpu_gib")
    if per_gpu is not None:
        note = f"{per_gpu:.1f} GiB/GPU planned. {note}".strip()
    overrides_fn = getattr(rec, "train_config_overrides", None)
    overrides = dict(overrides_fn()) if callable(overrides_fn) else {}
    if res.get("zeroStage") is not None:  # the user's ZeRO stage wins over the planner's
        overrides.pop("distributed.zero_stage", None)
    return Sizing("Planner", nodes, gpn, zero, note, overrides)


def resolve_sizing(spec: dict[str, Any]) -> Sizing:
    res = spec.get("resources") or {}
    if res.get("sizing", "Planner") == "Explicit":
        if res.get("nodes") is None or res.get("gpusPerNode") is None:
            raise SizingError("sizing Explicit needs resources.nodes and resources.gpusPerNode")
        return Sizing("Explicit", int(res["nodes"]), int(res["gpusPerNode"]), int(res.get("zeroStage", 2)))
    return plan_with_planner(spec)
