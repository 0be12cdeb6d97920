"""Pipeline steps of the model half: train (SFT then DPO) through a launcher, evaluate, register."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pipelines.launchers import get_launcher
from pipelines.steps import StepError
from xlam.overrides import deep_merge


class TrainSpec(BaseModel):
    """The end-to-end pipeline's ``train_config``: a recipe plus TrainConfig overrides per phase."""

    model_config = ConfigDict(extra="forbid")

    recipe: str = "tiny-moe"
    sft: dict[str, Any] = Field(default_factory=dict, description="TrainConfig fields for SFT (deep-merged).")
    dpo: dict[str, Any] | None = Field(default_factory=dict, description="TrainConfig fields for DPO; null: no DPO.")
    timeout_s: float = Field(default=6 * 3600, gt=0)


class PhaseSummary(BaseModel):
    method: str
    final_step: int = 0
    first_loss: float | None = None
    final_loss: float | None = None
    export_dir: str | None = None
    metrics: list[dict[str, Any]] = Field(default_factory=list)


class TrainingSummary(BaseModel):
    recipe: str
    phases: list[PhaseSummary]
    model_dir: str


class Summary(BaseModel):
    """A generic step summary: scalar metrics plus a Markdown body."""

    metrics: dict[str, float] = Field(default_factory=dict)
    markdown: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


def _phase_config(spec: TrainSpec, method: str, data_path: str, out_dir: Path, checkpoint: str | None) -> dict[str, Any]:
    from xlam.training.config import parse_train_config

    base: dict[str, Any] = {
        "name": f"{spec.recipe}-{method}",
        "method": method,
        "output_dir": str(out_dir),
        "model": {"recipe": spec.recipe, **({"checkpoint": checkpoint} if checkpoint else {})},
        "data": {"datasets": [data_path]},
    }
    cfg = deep_merge(base, (spec.sft if method == "sft" else spec.dpo) or {})
    parse_train_config(cfg)  # fail fast, naming the field, before anything is launched
    return cfg


def _run_phase(launcher_name: str, cfg: dict[str, Any], timeout: float) -> PhaseSummary:
    launcher = get_launcher(launcher_name)
    job = launcher.launch(cfg, cfg["output_dir"])
    state = launcher.wait(job, timeout=timeout, on_state=lambda s: print(f"[train:{cfg['method']}] {s.state} {s.message}",
                                                                         flush=True))
    if state.state != "succeeded":
        raise RuntimeError(f"{cfg['method']} job {job} ended {state.state}: {state.message}")
    history = [m for m in state.result.get("metrics", []) if "loss" in m]
    return PhaseSummary(
        method=cfg["method"], final_step=int(state.result.get("final_step", 0)),
        first_loss=history[0]["loss"] if history else None, final_loss=history[-1]["loss"] if history else None,
        export_dir=state.result.get("hf_export_dir"), metrics=state.result.get("metrics", []),
    )


def train(sft_data: str, preference_data: str, config: dict[str, Any], launcher: str, model_path: str) -> TrainingSummary:
    """SFT on the mixture, then DPO from the SFT model on the pairs; the final HF model goes to ``model_path``."""
    try:
        spec = TrainSpec.model_validate(config)
        root = Path(model_path)
        work = root.parent / f"{root.name}-work"
        phases = [_run_phase(launcher, _phase_config(spec, "sft", sft_data, work / "sft", None), spec.timeout_s)]
        if spec.dpo is not None:
            dpo_cfg = _phase_config(spec, "dpo", preference_data, work / "dpo", phases[0].export_dir)
            phases.append(_run_phase(launcher, dpo_cfg, spec.timeout_s))
        final = phases[-1].export_dir
        if not final:
            raise RuntimeError("training finished without an exported model (export: false?)")
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(final, root)
        summary = TrainingSummary(recipe=spec.recipe, phases=phases, model_dir=str(root))
        (root / "training_summary.json").write_text(summary.model_dump_json(indent=2))
        return summary
    except StepError:
        raise
    except Exception as exc:
        raise StepError("train", None, exc) from exc


def emit_training(summary: TrainingSummary, model: Any, metrics: Any, markdown: Any) -> None:
    lines = [f"# Training ({summary.recipe})", "", "| phase | steps | first loss | final loss |", "|---|---:|---:|---:|"]
    for ph in summary.phases:
        lines.append(f"| {ph.method} | {ph.final_step} | {ph.first_loss} | {ph.final_loss} |")
        if ph.final_loss is not None:
            metrics.log_metric(f"{ph.method}.final_loss", float(ph.final_loss))
        metrics.log_metric(f"{ph.method}.steps", float(ph.final_step))
    model.metadata["recipe"] = summary.recipe
    model.metadata["framework"] = "transformers"
    Path(markdown.path).write_text("\n".join(lines) + "\n")


def evaluate(model_path: str, config: dict[str, Any], results_path: str) -> Summary:
    """BFCL AST scoring of the model at ``model_path`` (an HF directory)."""
    from xlam.evaluation import EvalConfig, run_bfcl_eval

    try:
        cfg = EvalConfig.model_validate({**config, "model": model_path})
        result = run_bfcl_eval(cfg, results_path)
    except Exception as exc:
        raise StepError("evaluate", None, exc) from exc
    accuracy = {name: float(cat.accuracy) for name, cat in result.categories.items()}
    report_md = Path(results_path) / "report.md"
    md = report_md.read_text() if report_md.is_file() else result.model_dump_json(indent=2)
    return Summary(metrics={f"accuracy.{k}": v for k, v in accuracy.items()}, markdown=md,
                   data={"accuracy": accuracy, "items": result.items, "out_dir": result.out_dir})


def emit_summary(summary: Summary, metrics: Any, markdown: Any, *, title: str) -> None:
    for key, value in sorted(summary.metrics.items()):
        metrics.log_metric(key, value)
    Path(markdown.path).write_text(f"# {title}\n\n{summary.markdown}")


def register(model_path: str, model_uri: str, evaluation_json: str, api_url: str, project: str,
             model_name: str) -> str:
    """Register the model version in the control plane (token from ``XLAM_API_TOKEN``) and move ``latest``."""
    if not api_url:
        return "skipped: no control plane configured (api_url is empty)"
    from platform_contracts.client import ApiClientError, XlamClient

    evaluation = Summary.model_validate_json(evaluation_json)
    card_path = Path(model_path) / "model_card.json"
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    try:
        with XlamClient(api_url, os.environ.get("XLAM_API_TOKEN")) as client:
            try:
                client.create_model(project, model_name)
            except ApiClientError as exc:
                if exc.status != 409:
                    raise
            version = client.create_version(project, model_name, model_uri, metrics=evaluation.metrics, card=card)
            client.set_alias(project, model_name, "latest", int(version["version"]), reason="xlam-end-to-end pipeline")
    except Exception as exc:
        raise StepError("register", None, exc) from exc
    return f"registered {model_name} v{version['version']}"
