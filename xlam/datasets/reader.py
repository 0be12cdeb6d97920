"""Streaming dataset reader (constant memory), with optional checksum verification."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import zstandard
from pydantic import ValidationError

from xlam.datasets.manifest import MANIFEST_NAME, Manifest
from xlam.datasets.storage import iter_lines, join, resolve, sha256_of
from xlam.errors import DatasetError, RecordError, pydantic_field_path
from xlam.records import Record


def dataset_exists(uri: str) -> bool:
    fs, path = resolve(uri)
    return bool(fs.exists(join(path, MANIFEST_NAME)))


def read_manifest(uri: str) -> Manifest:
    fs, path = resolve(uri)
    manifest_path = join(path, MANIFEST_NAME)
    if not fs.exists(manifest_path):
        raise DatasetError(f"no dataset at {uri}: {MANIFEST_NAME} is missing (incomplete or never written)")
    try:
        return Manifest.model_validate_json(fs.cat_file(manifest_path))
    except ValidationError as exc:
        raise DatasetError(f"invalid manifest at {uri}: {exc}") from exc


class DatasetReader:
    """Iterate a dataset's records shard by shard."""

    def __init__(self, uri: str, *, verify_checksums: bool = False) -> None:
        self.uri = str(uri)
        self.fs, self.path = resolve(self.uri)
        self.manifest = read_manifest(self.uri)
        self.verify_checksums = verify_checksums

    def __len__(self) -> int:
        return self.manifest.num_records

    def iter_raw(self) -> Iterator[tuple[str, int, bytes]]:
        """``(shard name, line number, raw JSON line)`` for every record."""
        for shard in self.manifest.shards:
            shard_path = join(self.path, shard.path)
            if not self.fs.exists(shard_path):
                raise DatasetError(f"{self.uri}: shard {shard.path} listed in the manifest is missing")
            count = 0
            try:
                for count, line in enumerate(iter_lines(self.fs, shard_path, compression=self.manifest.compression), 1):
                    yield shard.path, count, line
            except zstandard.ZstdError as exc:
                raise DatasetError(f"{self.uri}: shard {shard.path} is corrupt after line {count}: {exc}") from exc
            if count != shard.records:
                raise DatasetError(f"{self.uri}: shard {shard.path} has {count} records, manifest says {shard.records}")
            if self.verify_checksums:
                digest = sha256_of(self.fs, shard_path)  # streamed: constant memory
                if digest != shard.sha256:
                    raise DatasetError(f"{self.uri}: shard {shard.path} sha256 {digest} != manifest {shard.sha256}")

    def iter_dicts(self) -> Iterator[dict[str, Any]]:
        for _, _, line in self.iter_raw():
            yield orjson.loads(line)

    def __iter__(self) -> Iterator[Record]:
        for shard, lineno, line in self.iter_raw():
            try:
                yield Record.model_validate_json(line)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise RecordError(
                    join(self.uri, shard), lineno, pydantic_field_path(tuple(err["loc"])), err["msg"]
                ) from exc


def read_records(uri: str, *, verify_checksums: bool = False) -> Iterator[Record]:
    """Stream the records of the dataset at ``uri``."""
    return iter(DatasetReader(uri, verify_checksums=verify_checksums))
