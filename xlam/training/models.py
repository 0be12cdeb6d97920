"""Build the model and tokenizer of a recipe (local files only; nothing is downloaded).

- a recipe with ``checkpoint`` set loads that local Hugging Face directory (config must match the
  recipe's family; the tokenizer comes from the same directory);
- ``smol`` loads SmolLM2-135M-Instruct from the packaged GGUF (de-quantised to float);
- ``smol-moe`` upcycles ``smol`` (see :mod:`xlam.training.upcycle`);
- ``gemma3`` loads Gemma-3-270M (base) from its packaged GGUF, with its own tokenizer;
- everything else is the exact architecture with random weights (seeded).

The SmolLM2 tokenizer read from the GGUF is cached as a plain tokenizer directory (4 s -> 0.3 s per
load, which matters when every Ray worker loads it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import torch

from xlam.training.recipes import Recipe


def cache_dir() -> Path:
    return Path(os.environ.get("XLAM_CACHE_DIR", Path.home() / ".cache" / "xlam"))


def _gguf_dir_and_file(recipe: Recipe) -> tuple[Path, str]:
    """The packaged GGUF a recipe's weights and tokenizer come from: Gemma-3-270M's for ``gemma3``,
    SmolLM2's for every other recipe (random-weight recipes use its tokenizer)."""
    from xlam.assets import gemma3_gguf, smollm2_gguf

    path = gemma3_gguf() if recipe.weights == "gemma3_gguf" else smollm2_gguf()
    return path.parent, path.name


#: A probe sentence a subword tokenizer splits into far fewer tokens than characters (SmolLM2 and Gemma 3: 26 for
#: its 83 characters); a GGUF reader that falls back to characters gives about one token per character.
_PROBE = 'Calculate the area of a triangle: {"base": 10, "height": 5}, and give it in meters.'


class TokenizerError(RuntimeError):
    """A tokenizer that would silently train a model on the wrong units (e.g. one token per character)."""


def check_subword_tokenizer(tok: Any, source: str) -> None:
    """Raise :class:`TokenizerError` when ``tok`` splits text into characters: transformers 5.17's GGUF reader
    does this for Gemma 3 (234 tokens for a 220-character tool schema, 58 under 5.25), and a run on it trains
    and scores a different model without an error (GPU run 7, docs/QUALITY.md)."""
    import transformers

    count = len(tok(_PROBE, add_special_tokens=False)["input_ids"])
    if count > len(_PROBE) // 2:
        raise TokenizerError(
            f"the tokenizer from {source} splits text into characters ({count} tokens for {len(_PROBE)} characters) "
            f"under transformers {transformers.__version__}: this version's GGUF reader does not convert it; use "
            "transformers >= 5.25 or give a saved tokenizer directory (XLAM_GEMMA3_TOKENIZER / XLAM_SMOLLM2_TOKENIZER, "
            "what scripts/gpu/pack.sh ships to the GPU machine)")


def tokenizer_override(recipe: Recipe) -> str | None:
    """A saved tokenizer directory to use instead of converting the recipe's GGUF (environment variable
    ``XLAM_GEMMA3_TOKENIZER`` for Gemma's GGUF, ``XLAM_SMOLLM2_TOKENIZER`` for SmolLM2's)."""
    return os.environ.get("XLAM_GEMMA3_TOKENIZER" if recipe.weights == "gemma3_gguf" else "XLAM_SMOLLM2_TOKENIZER")


def gguf_tokenizer_dir(recipe: Recipe) -> Path:
    """The recipe's GGUF tokenizer as a saved tokenizer directory (converted once per GGUF and transformers
    version, cached; checked to be a subword tokenizer)."""
    from xlam.assets import offline_transformers

    offline_transformers()
    import transformers
    from transformers import AutoTokenizer

    directory, name = _gguf_dir_and_file(recipe)
    # keyed by the transformers version: GGUF tokenizer readers differ between versions
    stamp = f"{name}-{(directory / name).stat().st_size}-tf{transformers.__version__}"
    cached = cache_dir() / "tokenizers" / stamp
    if not (cached / "tokenizer.json").is_file():
        tmp = cached.with_name(f".{stamp}.{uuid.uuid4().hex[:8]}")
        AutoTokenizer.from_pretrained(directory, gguf_file=name).save_pretrained(tmp)
        try:  # checked as saved (5.17's Gemma tokenizer passes in memory, splits into characters once reloaded)
            check_subword_tokenizer(AutoTokenizer.from_pretrained(tmp, local_files_only=True), name)
        except TokenizerError:
            shutil.rmtree(tmp, ignore_errors=True)  # never cached: every later load converts and refuses again
            raise
        try:
            tmp.rename(cached)
        except OSError:  # another worker won the race: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    return cached


def load_tokenizer(recipe: Recipe, checkpoint: str | None = None) -> Any:
    """The tokenizer for ``recipe``: the checkpoint's own, else a saved directory the environment names
    (:func:`tokenizer_override`), else its GGUF's (SmolLM2's, or Gemma's for ``gemma3``; cached from the
    GGUF), with the chat template's end-of-turn token as EOS. A tokenizer that splits text into characters
    is refused (:func:`check_subword_tokenizer`)."""
    from xlam.assets import offline_transformers

    offline_transformers()
    from transformers import AutoTokenizer

    if checkpoint:
        tok = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
        source = checkpoint
    else:
        source = tokenizer_override(recipe) or str(gguf_tokenizer_dir(recipe))
        tok = AutoTokenizer.from_pretrained(source, local_files_only=True)
    check_subword_tokenizer(tok, source)
    from xlam.generators.hf_loading import pin_chat_eos

    pin_chat_eos(tok)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def build_model(
    recipe: Recipe,
    *,
    checkpoint: str | None = None,
    dtype: torch.dtype = torch.float32,
    seed: int = 0,
    attn_implementation: str | None = None,
    experts_implementation: str | None = None,
    arch_overrides: dict[str, Any] | None = None,
) -> Any:
    """The ``*ForCausalLM`` model of ``recipe`` (see the module doc for where weights come from)."""
    from xlam.assets import offline_transformers

    offline_transformers()
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    if experts_implementation and recipe.is_moe:
        kwargs["experts_implementation"] = experts_implementation
    if checkpoint:
        model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=dtype, local_files_only=True, **kwargs)
        family = model.config.model_type
        if family != recipe.family:
            raise ValueError(f"checkpoint {checkpoint} is a {family!r} model, recipe {recipe.name} needs {recipe.family!r}")
        return model
    if recipe.weights in ("smollm2_gguf", "smollm2_upcycled", "gemma3_gguf"):
        directory, name = _gguf_dir_and_file(recipe)
        dense: Any = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32, **(
            {"attn_implementation": attn_implementation} if attn_implementation else {}))
        dense.config.quantization_config = None  # de-quantised: save as a plain float model
        if hasattr(dense, "hf_quantizer"):
            dense.hf_quantizer = None
        if recipe.weights in ("smollm2_gguf", "gemma3_gguf"):
            return dense.to(dtype)
        from xlam.training.upcycle import upcycle_llama_to_mixtral

        moe = upcycle_llama_to_mixtral(dense, recipe.num_experts, recipe.top_k, seed=seed)
        if experts_implementation:
            moe.set_experts_implementation(experts_implementation)
        if attn_implementation:
            moe.set_attn_implementation(attn_implementation)
        return moe.to(dtype)
    config = recipe.config(**(arch_overrides or {}))
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config, dtype=dtype, **kwargs)  # type: ignore[no-untyped-call]


def moe_block_class(model: torch.nn.Module) -> type[torch.nn.Module] | None:
    """The sparse-MoE block class of ``model`` (the ZeRO-3 leaf module), or None for dense models."""
    for module in model.modules():
        if type(module).__name__.endswith("SparseMoeBlock"):
            return type(module)
    return None


def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The decoder layers of a transformers causal LM (PEFT-wrapped or not)."""
    for module in model.modules():
        layers = getattr(module, "layers", None)
        if isinstance(layers, torch.nn.ModuleList) and len(layers) and type(layers[0]).__name__.endswith("DecoderLayer"):
            return list(layers)
    raise ValueError(f"no decoder layers found in {type(model).__name__}")


def compile_layers(model: torch.nn.Module) -> int:
    """Regional compilation: ``torch.compile`` each decoder layer in place (identical layers share
    one compiled graph; the rest of the model stays eager). Returns the number of layers."""
    layers = decoder_layers(model)
    for layer in layers:
        layer.compile()
    return len(layers)
