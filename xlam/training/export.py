"""Export a consolidated Hugging Face model (safetensors) plus a model card JSON.

- at the end of a run, from the live engine (ZeRO-3 weights gathered collectively, every rank must
  call :func:`export_from_engine`);
- later, offline, from a checkpoint directory (:func:`export_checkpoint`, DeepSpeed's
  ``zero_to_fp32`` consolidation of the ZeRO shards).

LoRA runs are merged into the base weights (``merge_and_unload``), so the export is a plain model.
The export is written to a temporary directory and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from xlam.training.config import TrainConfig
from xlam.training.recipes import get_recipe


def data_lineage(config: TrainConfig) -> list[dict[str, Any]]:
    """The datasets a run read, with their manifests' identity when readable."""
    from xlam.datasets import read_manifest

    uris = list(config.data.datasets)
    if config.data.mixture:
        uris += [str(s.get("uri")) for s in config.data.mixture.get("sources", []) if isinstance(s, dict)]
    out = []
    for uri in uris:
        entry: dict[str, Any] = {"uri": uri}
        try:
            manifest = read_manifest(uri).model_dump(mode="json")
            entry.update({k: manifest[k] for k in ("num_records", "fingerprint", "created_at", "source", "parents")
                          if k in manifest})
        except Exception as exc:  # lineage is best effort: a moved dataset must not fail the export
            entry["error"] = str(exc)
        out.append(entry)
    return out


def model_card(config: TrainConfig, summary: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    recipe = get_recipe(config.model.recipe)
    last = history[-1] if history else {}
    return {
        "name": config.name,
        "recipe": recipe.name,
        "base_model": recipe.base_model,
        "architecture": recipe.family,
        "weights_from": config.model.checkpoint or recipe.weights,
        "method": config.method,
        "lora": config.lora.model_dump() if config.use_lora else None,
        "output_format": config.data.output_format,
        "data": {"lineage": data_lineage(config), "mixture": config.data.mixture, "render": summary.get("render")},
        "training": {
            "steps": summary.get("final_step"),
            "tokens_seen": summary.get("tokens_seen"),
            "stopped": summary.get("stopped"),
            "optim": config.optim.model_dump(mode="json"),
            "distributed": config.distributed.model_dump(mode="json"),
        },
        "metrics": {k: v for k, v in last.items() if isinstance(v, int | float)},
        "config": config.model_dump(mode="json"),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _skeleton(config: TrainConfig, hf_config: Any) -> Any:
    """A model of the right class to load the consolidated weights into (LoRA-wrapped if needed)."""
    from transformers import AutoModelForCausalLM

    with torch.device("cpu"):
        model = AutoModelForCausalLM.from_config(hf_config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    if config.use_lora:
        from xlam.training.loop import apply_lora

        model = apply_lora(model, config)
    return model


def write_hf(config: TrainConfig, hf_config: Any, state_dict: dict[str, torch.Tensor], tokenizer: Any,
             out_dir: Path, card: dict[str, Any]) -> Path:
    """Load ``state_dict`` into a fresh model, merge LoRA, save safetensors + tokenizer + card atomically."""
    model = _skeleton(config, hf_config)
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = [k for k in missing if not k.endswith("lm_head.weight")]  # tied to the embeddings
    if missing or unexpected:
        raise RuntimeError(f"export: state dict mismatch, missing={missing[:5]} unexpected={unexpected[:5]}")
    if config.use_lora:
        model = model.merge_and_unload()
    # Training turns the KV cache off (model.config.use_cache = False) and the skeleton's generation
    # config was derived from that config: switch both back, or every later generate() would
    # recompute the whole prefix for each new token.
    model.config.use_cache = True
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.use_cache = True
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    (tmp / "model_card.json").write_text(json.dumps(card, indent=2, default=str))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return out_dir


def export_from_engine(trainer: Any, summary: dict[str, Any]) -> str | None:
    """Collective: gathers the weights (ZeRO-3) and writes ``<output_dir>/hf`` on rank 0."""
    state = trainer.engine.full_state_dict()
    if trainer.rank != 0 or state is None:
        return None
    module = trainer.engine.module
    hf_config = module.base_model.model.config if trainer.config.use_lora else module.config
    out = Path(trainer.config.output_dir) / "hf"
    card = model_card(trainer.config, summary, trainer.history)
    return str(write_hf(trainer.config, hf_config, state, trainer.tokenizer, out, card))


def export_checkpoint(checkpoint_dir: str | Path, out_dir: str | Path) -> Path:
    """Consolidate a saved checkpoint (ZeRO shards or torch engine state) into an HF model directory."""
    from xlam.training.models import build_model, load_tokenizer

    ckpt = Path(checkpoint_dir)
    state = json.loads((ckpt / "trainer_state.json").read_text())
    config = TrainConfig.model_validate(state["config"])
    engine_dir = ckpt / "engine"
    if (engine_dir / "state" / "engine_state.pt").is_file():
        sd = torch.load(engine_dir / "state" / "engine_state.pt", map_location="cpu", weights_only=False)["model"]
    else:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        sd = get_fp32_state_dict_from_zero_checkpoint(str(engine_dir), tag="state")
    recipe = get_recipe(config.model.recipe)
    if config.model.checkpoint:
        from transformers import AutoConfig

        hf_config = AutoConfig.from_pretrained(config.model.checkpoint, local_files_only=True)
    elif recipe.weights == "random":
        hf_config = recipe.config(**config.model.arch_overrides)
    else:  # smol / smol-moe: the config of the (upcycled) GGUF model
        hf_config = build_model(recipe, seed=config.seed).config
    tokenizer = load_tokenizer(recipe, config.model.checkpoint)
    summary = {"final_step": state["step"], "tokens_seen": state["tokens_seen"]}
    card = model_card(config, summary, state["history"])
    return write_hf(config, hf_config, {k: v.float() for k, v in sd.items()}, tokenizer, Path(out_dir), card)
