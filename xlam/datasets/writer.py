"""Atomic dataset writer.

Shards and the manifest are written into a hidden staging directory next to the target; the
manifest is written last, then the staging directory is moved into place. A failed or
interrupted write removes the staging directory, so it never leaves a partial dataset: readers
only accept directories with a manifest whose checksums match.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from types import TracebackType
from typing import IO, Any, cast

import orjson
import zstandard

from xlam.datasets.manifest import MANIFEST_NAME, Manifest, ShardInfo
from xlam.datasets.storage import HashingWriter, join, resolve
from xlam.errors import DatasetError
from xlam.records import Record

DEFAULT_SHARD_SIZE = 50_000


class DatasetWriter:
    """Context manager: ``with DatasetWriter(uri, source=...) as w: w.write(record)``."""

    def __init__(
        self,
        uri: str,
        *,
        source: str = "",
        command: str = "",
        parents: Iterable[str] = (),
        shard_size: int = DEFAULT_SHARD_SIZE,
        compression: str | None = None,
        overwrite: bool = False,
        name: str = "",
    ) -> None:
        if compression not in (None, "zstd"):
            raise ValueError(f"compression must be None or 'zstd', got {compression!r}")
        if shard_size < 1:
            raise ValueError("shard_size must be >= 1")
        self.uri = str(uri)
        self.fs, self.path = resolve(self.uri)
        self.shard_size = shard_size
        self.compression = compression
        self.overwrite = overwrite
        base = self.path.rsplit("/", 1)
        parent, leaf = (base[0], base[1]) if len(base) == 2 else ("", base[0])
        self._staging = join(parent, f".{leaf}.staging-{uuid.uuid4().hex[:12]}") if parent else (
            f".{leaf}.staging-{uuid.uuid4().hex[:12]}"
        )
        self.manifest = Manifest(
            name=name or leaf, source=source, command=command, parents=list(parents), compression=compression
        )
        self._file: IO[bytes] | None = None
        self._hasher: HashingWriter | None = None
        self._compressor: Any = None
        self._count_in_shard = 0
        self._open = False
        self.count = 0

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> DatasetWriter:
        if self.fs.exists(join(self.path, MANIFEST_NAME)) and not self.overwrite:
            raise DatasetError(f"dataset already exists at {self.uri} (pass overwrite to replace it)")
        self.fs.makedirs(self._staging, exist_ok=True)
        self._open = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def write(self, record: Record | dict[str, Any]) -> None:
        if not self._open:
            raise DatasetError("DatasetWriter is not open (use it as a context manager)")
        if self._file is None or self._count_in_shard >= self.shard_size:
            self._close_shard()
            self._open_shard()
        line = (
            # bytes straight from pydantic-core (model_dump_json would decode them to str first)
            type(record).__pydantic_serializer__.to_json(record, exclude_none=True)
            if isinstance(record, Record)
            else orjson.dumps(record)
        )
        assert self._compressor is not None
        self._compressor.write(line + b"\n")
        self._count_in_shard += 1
        self.count += 1

    def write_all(self, records: Iterable[Record | dict[str, Any]]) -> int:
        for record in records:
            self.write(record)
        return self.count

    def commit(self) -> Manifest:
        try:
            self._close_shard()
            with self.fs.open(join(self._staging, MANIFEST_NAME), "wb") as fh:
                fh.write(orjson.dumps(self.manifest.model_dump(mode="json"), option=orjson.OPT_INDENT_2))
            if self.fs.exists(self.path):
                if not self.overwrite:
                    raise DatasetError(f"dataset already exists at {self.uri}")
                old = self._staging.replace(".staging-", ".old-")
                self.fs.mv(self.path, old, recursive=True)
                self.fs.mv(self._staging, self.path, recursive=True)
                self.fs.rm(old, recursive=True)
            else:
                self.fs.mv(self._staging, self.path, recursive=True)
        except BaseException:
            self.abort()
            raise
        self._open = False
        return self.manifest

    def abort(self) -> None:
        self._open = False
        with contextlib.suppress(Exception):  # best effort while aborting
            if self._compressor is not None:
                self._compressor.close()
        self._file = self._compressor = None
        if self.fs.exists(self._staging):
            self.fs.rm(self._staging, recursive=True)

    # --- shards ------------------------------------------------------------------------------
    def _open_shard(self) -> None:
        index = len(self.manifest.shards)
        suffix = ".jsonl.zst" if self.compression == "zstd" else ".jsonl"
        name = f"part-{index:05d}{suffix}"
        self._file = self.fs.open(join(self._staging, name), "wb")
        self._hasher = HashingWriter(self._file)
        if self.compression == "zstd":
            self._compressor = zstandard.ZstdCompressor(level=3).stream_writer(
                cast(IO[bytes], self._hasher), closefd=False
            )
        else:
            self._compressor = self._hasher
        self.manifest.shards.append(ShardInfo(path=name, records=0, sha256="0" * 64, bytes=0))
        self._count_in_shard = 0

    def _close_shard(self) -> None:
        if self._file is None:
            return
        if self.compression == "zstd":
            self._compressor.close()
        assert self._hasher is not None
        self._file.close()
        shard = self.manifest.shards[-1]
        shard.records = self._count_in_shard
        shard.sha256 = self._hasher.sha256.hexdigest()
        shard.bytes = self._hasher.bytes
        self._file = self._compressor = self._hasher = None


def write_records(uri: str, records: Iterable[Record | dict[str, Any]], **kwargs: Any) -> Manifest:
    """Write ``records`` as a dataset at ``uri`` atomically and return its manifest."""
    with DatasetWriter(uri, **kwargs) as writer:
        writer.write_all(records)
    return writer.manifest
