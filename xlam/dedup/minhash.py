"""Vectorised shingling and MinHash signatures, compatible with datasketch's ``affine32`` scheme.

A whole batch of texts is shingled at once: the texts' units (UTF-8 bytes for character
n-grams, CRC32 word hashes for word n-grams) are concatenated, a rolling polynomial hash gives
every n-gram, windows that cross a record boundary are dropped, and one ``np.unique`` over
``(record << 32) | hash`` keys yields each record's sorted set of 32-bit shingle hashes.
Optional extra tokens (tool names) join the sets.

Signatures: ``min over shingles of (a * fmix32(h) + b) mod 2^32`` with the permutations
``(a, b)`` of ``datasketch.MinHash(num_perm, seed)``, computed as one ``(num_perm, shingles)``
matrix per chunk. A signature equals ``datasketch.MinHash(..., hashfunc=identity)`` updated
with the same hashes (tested), so it can be loaded into ``datasketch.LeanMinHash``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

U32 = NDArray[np.uint32]
U64 = NDArray[np.uint64]
_M64_1 = np.uint64(0xFF51AFD7ED558CCD)
_M64_2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(1_000_003)
_CHUNK_SHINGLES = 1 << 13
_MAX_TOKEN_REPEAT = 64


def fmix32(h: U32) -> U32:
    """MurmurHash3's 32-bit finaliser (the pre-mix datasketch applies to every hash)."""
    h = h.astype(np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _mix64(h: U64) -> U64:
    h = h ^ (h >> np.uint64(33))
    h = h * _M64_1
    h = h ^ (h >> np.uint64(33))
    h = h * _M64_2
    return h ^ (h >> np.uint64(33))


@dataclass
class ShingleSets:
    """Sorted unique 32-bit shingle hashes of each record, stored flat: record ``i`` owns
    ``hashes[offsets[i] : offsets[i] + sizes[i]]``."""

    hashes: U32
    sizes: NDArray[np.int64]
    offsets: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.sizes.size)

    def get(self, i: int) -> U32:
        start = int(self.offsets[i])
        return self.hashes[start : start + int(self.sizes[i])]


def _units(texts: Sequence[str], kind: str) -> tuple[U64, NDArray[np.int64]]:
    if kind == "char":
        encoded = [t.encode("utf-8") for t in texts]
        buf = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.uint64)
        return buf, np.array([len(e) for e in encoded], dtype=np.int64)
    words = [t.split() for t in texts]
    flat = [zlib.crc32(w.encode("utf-8")) for ws in words for w in ws]
    return np.array(flat, dtype=np.uint64), np.array([len(ws) for ws in words], dtype=np.int64)


def shingle_batch(
    texts: Sequence[str],
    *,
    kind: str = "char",
    n: int = 5,
    tokens: Sequence[Sequence[str]] | None = None,
    token_weight: float = 0.0,
) -> ShingleSets:
    """Shingle sets of ``texts`` (character or word ``n``-grams; a text shorter than ``n`` units
    is one shingle; an empty text gives an empty set). With ``tokens`` and ``token_weight > 0``,
    each record's tokens are added so that they make up about ``token_weight`` of its set."""
    count = len(texts)
    units, lengths = _units(texts, kind)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    rid_of_unit = np.repeat(np.arange(count, dtype=np.int64), lengths)
    keys: list[U64] = []
    windows = np.zeros(count, dtype=np.int64)
    if units.size >= n:
        span = units.size - n + 1
        with np.errstate(over="ignore"):
            rolled = units[:span].copy()
            for j in range(1, n):
                rolled = rolled * _BASE + units[j : span + j]
        rid = rid_of_unit[:span]
        valid = (np.arange(span, dtype=np.int64) + n) <= (starts[rid] + lengths[rid])
        rid_valid = rid[valid]
        keys.append((rid_valid.astype(np.uint64) << np.uint64(32)) | (_mix64(rolled[valid]) >> np.uint64(32)))
        windows = np.bincount(rid_valid, minlength=count).astype(np.int64)
    for i in np.flatnonzero((lengths > 0) & (lengths < n)):  # short texts: one shingle of everything
        seg = units[starts[i] : starts[i] + lengths[i]]
        with np.errstate(over="ignore"):
            h = np.uint64(0)
            for u in seg:
                h = h * _BASE + u
        keys.append(np.array([(int(i) << 32) | (int(_mix64(np.array([h]))[0]) >> 32)], dtype=np.uint64))
        windows[i] = 1
    if tokens is not None and token_weight > 0:
        keys.append(_token_keys(tokens, windows, token_weight))
    allkeys = np.sort(np.concatenate(keys)) if keys else np.empty(0, dtype=np.uint64)
    if allkeys.size > 1:  # sort + adjacent-difference: much faster than np.unique's hash path
        allkeys = allkeys[np.concatenate(([True], allkeys[1:] != allkeys[:-1]))]
    sizes = np.bincount((allkeys >> np.uint64(32)).astype(np.int64), minlength=count).astype(np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    return ShingleSets((allkeys & np.uint64(0xFFFFFFFF)).astype(np.uint32), sizes, offsets)


def _token_keys(tokens: Sequence[Sequence[str]], windows: NDArray[np.int64], weight: float) -> U64:
    """Keys of the token shingles: each token of record i repeated (salted) so the tokens make up
    about ``weight`` of the set. Records without text shingles get none."""
    owner = np.array([i for i, toks in enumerate(tokens) if windows[i] for _ in toks], dtype=np.int64)
    if owner.size == 0:
        return np.empty(0, dtype=np.uint64)
    crc = np.array(
        [zlib.crc32(b"\x00tok\x00" + t.encode("utf-8")) for i, toks in enumerate(tokens) if windows[i] for t in toks],
        dtype=np.uint64,
    )
    per_record = np.bincount(owner, minlength=windows.size)
    ratio = weight / (1.0 - weight)
    repeat = np.clip(np.ceil(ratio * windows[owner] / per_record[owner]), 1, _MAX_TOKEN_REPEAT).astype(np.int64)
    rec = np.repeat(owner, repeat)
    base = np.repeat(crc, repeat)
    first = np.repeat(np.cumsum(repeat) - repeat, repeat)
    salt = (np.arange(rec.size, dtype=np.int64) - first + 1).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = _mix64(base + _GOLDEN * salt)
    return (rec.astype(np.uint64) << np.uint64(32)) | (mixed >> np.uint64(32))


def jaccard(a: U32, b: U32) -> float:
    """Exact Jaccard similarity of two sorted unique hash arrays."""
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return float(inter) / float(a.size + b.size - inter)


class MinHasher:
    """Batched MinHash signatures (datasketch ``affine32`` scheme), ``num_perm`` values per set."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        from datasketch import MinHash

        self.num_perm = num_perm
        self.seed = seed
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self._a = np.asarray(a, dtype=np.uint32)[:, None]
        self._b = np.asarray(b, dtype=np.uint32)[:, None]

    def signatures(self, sets: ShingleSets) -> U32:
        """``(len(sets), num_perm)`` signatures; empty sets get all-max rows."""
        count = len(sets)
        out = np.full((count, self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        ends = np.cumsum(sets.sizes)
        start = 0
        while start < count:
            # records [start, stop) with about _CHUNK_SHINGLES shingles in total
            base = int(sets.offsets[start])
            stop = int(np.searchsorted(ends, base + _CHUNK_SHINGLES, side="right"))
            stop = max(stop, start + 1)
            rows = np.arange(start, stop)
            nonempty = rows[sets.sizes[start:stop] > 0]
            if nonempty.size:
                flat = fmix32(sets.hashes[base : int(ends[stop - 1])])
                permuted = np.multiply(self._a, flat[None, :])
                np.add(permuted, self._b, out=permuted)
                local = sets.offsets[nonempty] - base
                out[nonempty] = np.minimum.reduceat(permuted, local, axis=1).T
            start = stop
        return out
