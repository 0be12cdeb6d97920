"""fsspec helpers: resolve URIs, open shards with optional zstd, hash what is written."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import IO, Any

import fsspec
import zstandard
from fsspec import AbstractFileSystem


def resolve(uri: str) -> tuple[AbstractFileSystem, str]:
    """``(filesystem, path)`` for a local path or any fsspec URI (``file://``, ``s3://``, ``memory://``)."""
    fs, path = fsspec.core.url_to_fs(str(uri))
    return fs, path.rstrip("/") or path


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *[p.strip("/") for p in parts]])


class HashingWriter(io.RawIOBase):
    """A write-only stream that forwards bytes and keeps their sha256 and count."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._target.write(view)
        self.sha256.update(view)
        self.bytes += view.nbytes
        return view.nbytes


def iter_lines(fs: AbstractFileSystem, path: str, *, compression: str | None) -> Iterator[bytes]:
    """Stream the lines of a (possibly zstd) file in constant memory."""
    with fs.open(path, "rb") as raw:
        if compression == "zstd":
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            stream: IO[bytes] = io.BufferedReader(reader, buffer_size=1 << 20)
        else:
            stream = raw
        for line in stream:
            if line.strip():
                yield line


def sha256_of(fs: AbstractFileSystem, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
