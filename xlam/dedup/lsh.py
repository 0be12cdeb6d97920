"""A banded LSH index over MinHash signatures.

The band layout ``(b bands, r rows)`` is chosen by datasketch's ``MinHashLSH`` optimiser for the
threshold and (false-positive, false-negative) weights; each band of a signature is folded into a
64-bit key with numpy, and every band has its own ``dict`` from key to cluster ids. Lookups and
inserts are plain dict operations, so a batch of signatures costs one vectorised fold plus ``b``
dict probes per record.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_P = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_params(threshold: float, num_perm: int, weights: tuple[float, float]) -> tuple[int, int]:
    """``(bands, rows)`` minimising the weighted false-positive/negative areas (datasketch)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
    return int(lsh.b), int(lsh.r)


class BandIndex:
    """``query(keys)`` -> candidate ids; ``insert(keys, id)``; keys from :meth:`band_keys`."""

    def __init__(self, bands: int, rows: int) -> None:
        self.bands = bands
        self.rows = rows
        # a bucket is one id (the common case: no allocation) or a list of ids
        self._tables: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]

    def band_keys(self, signatures: NDArray[np.uint32]) -> list[list[int]]:
        """One 64-bit key per band for each signature row."""
        sig = signatures[:, : self.bands * self.rows].astype(np.uint64).reshape(-1, self.bands, self.rows)
        with np.errstate(over="ignore"):
            keys = np.zeros(sig.shape[:2], dtype=np.uint64)
            for j in range(self.rows):
                keys = (keys ^ sig[:, :, j]) * _P
            keys ^= keys >> np.uint64(29)
            keys *= _MIX
        result: list[list[int]] = keys.tolist()
        return result

    def query(self, keys: list[int]) -> set[int]:
        found: set[int] = set()
        for table, key in zip(self._tables, keys, strict=True):
            hit = table.get(key)
            if hit is None:
                continue
            if isinstance(hit, int):
                found.add(hit)
            else:
                found.update(hit)
        return found

    def insert(self, keys: list[int], item: int) -> None:
        for table, key in zip(self._tables, keys, strict=True):
            bucket = table.get(key)
            if bucket is None:
                table[key] = item
            elif isinstance(bucket, int):
                table[key] = [bucket, item]
            else:
                bucket.append(item)

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables)
