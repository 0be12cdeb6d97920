"""Split a dataset into several, or concatenate several into one (streaming, atomic per output).

Lines are copied as they are (no re-validation), so both operations run at I/O speed. Every output
records its input(s) as parents.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Literal

import orjson

from xlam.datasets.manifest import Manifest
from xlam.datasets.reader import DatasetReader
from xlam.datasets.writer import DEFAULT_SHARD_SIZE, DatasetWriter

SplitMode = Literal["round_robin", "contiguous"]


def split_dataset(
    in_uri: str,
    out_uris: list[str],
    *,
    mode: SplitMode = "round_robin",
    shard_size: int = DEFAULT_SHARD_SIZE,
    compression: str | None = None,
    overwrite: bool = False,
) -> list[Manifest]:
    """Deterministically split ``in_uri`` into ``len(out_uris)`` datasets.

    ``round_robin``: record i goes to output ``i % n``; ``contiguous``: output k gets the k-th
    block of ``ceil(N / n)`` records. A failure aborts every output that is not committed yet.
    """
    if not out_uris:
        raise ValueError("out_uris must not be empty")
    reader = DatasetReader(in_uri)
    n = len(out_uris)
    block = max(1, -(-len(reader) // n))
    compression = compression if compression is not None else reader.manifest.compression
    with contextlib.ExitStack() as stack:
        writers = [
            stack.enter_context(DatasetWriter(
                uri, source=f"split:{reader.manifest.source}", parents=[in_uri], shard_size=shard_size,
                compression=compression, overwrite=overwrite,
                command=f"split_dataset({in_uri!r}, n={n}, mode={mode!r}, index={k})"))
            for k, uri in enumerate(out_uris)
        ]
        for i, (_, _, line) in enumerate(reader.iter_raw()):
            target = writers[i % n] if mode == "round_robin" else writers[min(i // block, n - 1)]
            target.write(orjson.loads(line))
    return [w.manifest for w in writers]


def concat_datasets(
    in_uris: Iterable[str],
    out_uri: str,
    *,
    source: str = "concat",
    shard_size: int = DEFAULT_SHARD_SIZE,
    compression: str | None = None,
    overwrite: bool = False,
) -> Manifest:
    """One dataset holding the records of ``in_uris`` in order."""
    uris = [str(u) for u in in_uris]
    readers = [DatasetReader(u) for u in uris]  # fail early on a missing input
    with DatasetWriter(out_uri, source=source, parents=uris, shard_size=shard_size, compression=compression,
                       overwrite=overwrite, command=f"concat_datasets({uris!r})") as writer:
        for reader in readers:
            for _, _, line in reader.iter_raw():
                writer.write(orjson.loads(line))
    return writer.manifest
