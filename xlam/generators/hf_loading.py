"""Load local transformers models for generation: packaged GGUF files or checkpoint directories.

GGUF files (the packaged SmolLM2-135M-Instruct, Gemma-3-270M, or any ``.gguf`` path) are
de-quantised by transformers on load, which takes tens of seconds. The de-quantised weights are
then cached as a regular safetensors checkpoint under ``$XLAM_CACHE_DIR/hf-from-gguf/`` (written
atomically, keyed by file name, size and mtime), so later loads take well under a second. Set
``XLAM_GGUF_CACHE=0`` to disable the cache. Loaded models are also cached per process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlam import assets
from xlam.generators.base import GeneratorError

log = logging.getLogger(__name__)

#: Short names accepted for ``GeneratorConfig.model`` with the ``hf`` backend.
MODEL_ALIASES = ("smol", "smollm2", "smollm2-135m", "gemma3", "gemma3-270m")


@dataclass
class LoadedModel:
    """A tokenizer and model ready for generation, with a lock serialising ``generate`` calls."""

    name: str
    tokenizer: Any
    model: Any
    device: str
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHE: dict[tuple[str, str, str], LoadedModel] = {}
_CACHE_LOCK = threading.Lock()


def resolve_model(model: str | None) -> tuple[Path, str | None, str]:
    """``(directory, gguf file name or None, display name)`` for a model reference."""
    ref = (model or "smol").strip()
    if ref.lower() in ("smol", "smollm2", "smollm2-135m"):
        path = assets.smollm2_gguf()
        return path.parent, path.name, "SmolLM2-135M-Instruct"
    if ref.lower() in ("gemma3", "gemma3-270m"):
        path = assets.gemma3_gguf()
        return path.parent, path.name, "gemma-3-270m"
    path = Path(ref).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path.parent, path.name, path.stem
    if path.is_dir():
        if (path / "config.json").is_file():
            return path, None, path.name
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return path, ggufs[0].name, ggufs[0].stem
        raise GeneratorError(f"{path} has no config.json and not exactly one .gguf file")
    raise GeneratorError(
        f"model {ref!r} is not a known alias ({', '.join(MODEL_ALIASES)}), a .gguf file or a checkpoint directory"
    )


def chat_end_of_turn(tokenizer: Any) -> str | None:
    """The special token the chat template closes an assistant turn with (``<|im_end|>`` for SmolLM2).

    Read from the template itself, not from the tokenizer's ``eos_token``: transformers 5.17 reads
    ``<|im_start|>`` as the EOS of the SmolLM2 GGUF (5.25 reads ``<|im_end|>``), and a model trained
    or stopped on the wrong token never ends its turn.
    """
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        return None
    marker = "XLAMENDPROBE"
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "hi"}, {"role": "assistant", "content": marker}], tokenize=False)
    except Exception:  # a template that cannot render this probe: keep the tokenizer's EOS
        return None
    rest = str(text).split(marker, 1)[1] if marker in str(text) else ""
    specials = sorted(set(tokenizer.all_special_tokens) | set(getattr(tokenizer, "added_tokens_encoder", {})),
                      key=len, reverse=True)
    stripped = rest.lstrip()
    return next((t for t in specials if t and stripped.startswith(t)), None)


def pin_chat_eos(tokenizer: Any, model: Any = None) -> Any:
    """Set the tokenizer's (and the model's generation) EOS to the chat template's end-of-turn token (a base
    model's tokenizer with no template first gets its family's: :mod:`xlam.generators.chat_templates`)."""
    from xlam.generators.chat_templates import ensure_chat_template

    ensure_chat_template(tokenizer)
    end = chat_end_of_turn(tokenizer)
    if end is not None and end != tokenizer.eos_token:
        log.info("EOS pinned to the chat template's end-of-turn token %r (was %r)", end, tokenizer.eos_token)
        tokenizer.eos_token = end
    if model is not None and getattr(model, "generation_config", None) is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
    return tokenizer


def _transformers_version() -> str:
    import transformers

    return str(transformers.__version__)


def _cache_root() -> Path:
    return Path(os.environ.get("XLAM_CACHE_DIR", Path.home() / ".cache" / "xlam")) / "hf-from-gguf"


def _gguf_cache_dir(gguf: Path) -> Path:
    st = gguf.stat()
    # keyed by the transformers version too: GGUF readers differ between versions (EOS, vocabulary)
    ident = f"{gguf.resolve()}|{st.st_size}|{st.st_mtime_ns}|{_transformers_version()}"
    key = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return _cache_root() / f"{gguf.stem}-{key}"


def _torch_dtype(dtype: str) -> Any:
    import torch

    return "auto" if dtype == "auto" else getattr(torch, dtype)


def _load_from_gguf(directory: Path, gguf_file: str, dtype: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    use_cache = os.environ.get("XLAM_GGUF_CACHE", "1") != "0"
    cached = _gguf_cache_dir(directory / gguf_file)
    if use_cache and (cached / "config.json").is_file() and (cached / "COMPLETE").is_file():
        tokenizer = AutoTokenizer.from_pretrained(cached)
        model = AutoModelForCausalLM.from_pretrained(cached, dtype=_torch_dtype(dtype))
        return tokenizer, model
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=gguf_file, dtype=torch.float32)
    if use_cache:
        _write_cache(model, tokenizer, cached)
    if dtype not in ("auto", "float32"):
        model = model.to(_torch_dtype(dtype))
    return tokenizer, model


def _write_cache(model: Any, tokenizer: Any, target: Path) -> None:
    """Save the de-quantised model as a plain checkpoint, atomically (staging dir + rename)."""
    staging = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir(parents=True)
        quantizer = getattr(model, "hf_quantizer", None)
        qconfig = getattr(model.config, "quantization_config", None)
        model.hf_quantizer = None  # weights are plain float tensors once de-quantised
        if qconfig is not None:
            del model.config.quantization_config
        try:
            model.save_pretrained(staging)
            tokenizer.save_pretrained(staging)
        finally:
            model.hf_quantizer = quantizer
            if qconfig is not None:
                model.config.quantization_config = qconfig
        (staging / "COMPLETE").write_text("ok\n")
        if target.exists():  # another process won the race
            shutil.rmtree(staging, ignore_errors=True)
            return
        staging.rename(target)
    except OSError as exc:  # a read-only cache only costs speed
        log.warning("could not cache the de-quantised model at %s: %s", target, exc)
        shutil.rmtree(staging, ignore_errors=True)


def _use_all_cores() -> None:
    """torch intra-op threads = the CPUs this process may run on (a launcher's OMP_NUM_THREADS=1,
    e.g. Ray's, would otherwise leave generation on one core)."""
    import torch

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    if torch.get_num_threads() < cores:
        torch.set_num_threads(cores)


def load_model(model: str | None = None, *, device: str = "cpu", dtype: str = "float32") -> LoadedModel:
    """Load (once per process) the tokenizer and causal LM for ``model`` on ``device``."""
    directory, gguf_file, name = resolve_model(model)
    key = (str(directory / (gguf_file or "")), device, dtype)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        assets.offline_transformers()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if gguf_file is not None:
            tokenizer, lm = _load_from_gguf(directory, gguf_file, dtype)
        else:
            tokenizer = AutoTokenizer.from_pretrained(directory)
            lm = AutoModelForCausalLM.from_pretrained(directory, dtype=_torch_dtype(dtype))
        lm = lm.to(device)
        lm.eval()
        # Generation always keeps the KV cache: checkpoints exported by training runs made before the
        # export fix carry ``use_cache: false`` (a training setting) in their generation config.
        lm.config.use_cache = True
        if getattr(lm, "generation_config", None) is not None:
            lm.generation_config.use_cache = True
        if device == "cpu":
            _use_all_cores()
        pin_chat_eos(tokenizer, lm)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        loaded = LoadedModel(name=name, tokenizer=tokenizer, model=lm, device=device)
        _CACHE[key] = loaded
        return loaded
