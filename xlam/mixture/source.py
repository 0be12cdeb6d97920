"""One stream's slice of one source: which records it owns, read once, parsed on demand.

A source of ``n`` records is cut into blocks of ``block_size`` consecutive records. The blocks
are permuted with a seed that depends only on the mixture seed and the source name, so every
stream computes the same permutation, and dealt round-robin: stream ``s`` of ``S`` owns blocks
``perm[s::S]``. Streams therefore own disjoint slices that cover the source, spread over the
whole file (not one contiguous range, which would give one rank all of a sorted file's first
category). A stream reads only the shards that hold its blocks and keeps only its own lines
(raw bytes); records are parsed when yielded. Sources with fewer blocks than streams are shared
(stream ``s`` gets block ``s mod blocks``).
"""

from __future__ import annotations

import zlib
from bisect import bisect_right

import numpy as np
from pydantic import ValidationError

from xlam.datasets import read_manifest
from xlam.datasets.storage import iter_lines, join, resolve
from xlam.errors import RecordError, pydantic_field_path
from xlam.records import Record


def rng_for(seed: int, *parts: int | str) -> np.random.Generator:
    """A numpy generator seeded from ``seed`` and ``parts`` (strings hashed stably with CRC32)."""
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    words += [zlib.crc32(p.encode()) if isinstance(p, str) else int(p) & 0xFFFFFFFF for p in parts]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def stream_blocks(size: int, block_size: int, stream: int, num_streams: int, seed: int, name: str) -> list[range]:
    """The record ranges of ``name`` owned by ``stream`` (sorted)."""
    bs = max(1, min(block_size, size // num_streams)) if size >= num_streams else 1
    nblocks = -(-size // bs)
    perm = rng_for(seed, "blocks", name).permutation(nblocks)
    mine = perm[stream::num_streams] if nblocks >= num_streams else perm[[stream % nblocks]]
    return [range(int(b) * bs, min(size, (int(b) + 1) * bs)) for b in sorted(mine)]


class SourceSlice:
    """The raw lines of one stream's blocks of a source; ``record(i)`` parses the i-th."""

    def __init__(self, uri: str, size: int, ranges: list[range]) -> None:
        self.uri = uri
        manifest = read_manifest(uri)
        fs, path = resolve(uri)
        starts = [r.start for r in ranges]
        self.global_index: list[int] = []
        self.lines: list[bytes] = []
        self._shards: list[tuple[int, str]] = []
        offset = 0
        for shard in manifest.shards:
            lo, hi = offset, min(offset + shard.records, size)
            self._shards.append((offset, shard.path))
            offset += shard.records
            if lo >= hi or not any(r.start < hi and r.stop > lo for r in ranges):
                continue  # no block of ours in this shard: never opened
            for line_no, line in enumerate(iter_lines(fs, join(path, shard.path), compression=manifest.compression)):
                g = lo + line_no
                if g >= hi:
                    break
                k = bisect_right(starts, g) - 1
                if k >= 0 and g < ranges[k].stop:
                    self.global_index.append(g)
                    self.lines.append(line)

    def __len__(self) -> int:
        return len(self.lines)

    def record(self, i: int) -> Record:
        try:
            return Record.model_validate_json(self.lines[i])
        except ValidationError as exc:
            g = self.global_index[i]
            k = bisect_right([s for s, _ in self._shards], g) - 1
            start, shard = self._shards[k]
            err = exc.errors()[0]
            raise RecordError(join(self.uri, shard), g - start + 1, pydantic_field_path(tuple(err["loc"])),
                              err["msg"]) from exc
