"""The dedup engine: a stateful, streaming decision per record (exact key, then MinHash LSH).

Records are fed in order, in batches (hashing is vectorised per batch). Every record starts a
cluster unless it is an exact duplicate of an earlier record (same normalised content key) or a
near-duplicate of an earlier cluster representative (LSH candidate with Jaccard >= threshold;
the most similar wins, ties go to the earliest). With ``keep="first"`` the representative is
kept and decisions are final immediately; with ``keep="best"`` a better later member replaces
the kept record of its cluster (the LSH representative stays the cluster's first record).
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from xlam.dedup.config import DedupConfig
from xlam.dedup.lsh import BandIndex, band_params
from xlam.dedup.minhash import U32, MinHasher, jaccard, shingle_batch
from xlam.dedup.normalize import exact_key, near_text, quality_score
from xlam.records import Record

Reason = Literal["exact", "near"]


@dataclass
class Member:
    """A record that joined a cluster (it is removed unless it became the kept record)."""

    index: int
    reason: Reason
    similarity: float


@dataclass
class Cluster:
    """A group of duplicates: its first record (``rep``), the record kept, and the others."""

    rep: int
    kept: int
    members: list[Member] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + len(self.members)

    def removed(self) -> list[int]:
        return sorted({self.rep, *(m.index for m in self.members)} - {self.kept})


@dataclass
class Decision:
    """What happened to one record when it was added (with keep='best' it may be superseded later)."""

    index: int
    duplicate_of: int | None
    reason: Reason | None
    similarity: float


class Deduplicator:
    """Feed records with :meth:`add_batch`; read :attr:`clusters` and :meth:`is_kept` afterwards."""

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config or DedupConfig()
        self.count = 0
        self.clusters: dict[int, Cluster] = {}
        self.removed: set[int] = set()
        self._exact: dict[str, int] = {}
        self._cluster_of: dict[int, int] = {}  # record index -> cluster id, for records in clusters
        self._scores: dict[int, tuple[int, int, int]] = {}
        if self.config.near:
            self.hasher = MinHasher(self.config.num_perm, self.config.seed)
            bands, rows = band_params(self.config.threshold, self.config.num_perm, self.config.lsh_weights)
            self.index = BandIndex(bands, rows)
            self._rep_data: dict[int, U32] = {}

    # --- decisions ------------------------------------------------------------------------------
    def add_batch(self, records: Sequence[Record]) -> list[Decision]:
        """Decide every record of ``records`` (in order, after all earlier batches)."""
        # The loop allocates many small objects but creates no reference cycles; with millions of
        # live record objects around, cyclic-GC passes would otherwise dominate the run time.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._add_batch(records)
        finally:
            if enabled:
                gc.enable()

    def _add_batch(self, records: Sequence[Record]) -> list[Decision]:
        cfg = self.config
        keys = [exact_key(r, ignore_tool_order=cfg.ignore_tool_order) for r in records] if cfg.exact else None
        band_keys: list[list[int]] = []
        sets = None
        sigs = None
        if cfg.near:
            sets = shingle_batch(
                [near_text(r) for r in records],
                kind=cfg.shingle,
                n=cfg.ngram,
                tokens=[[t.name for t in r.tools] for r in records] if cfg.tool_weight > 0 else None,
                token_weight=cfg.tool_weight,
            )
            sigs = self.hasher.signatures(sets)
            band_keys = self.index.band_keys(sigs)
        decisions = []
        for i, record in enumerate(records):
            idx = self.count + i
            if cfg.keep == "best":
                self._scores[idx] = quality_score(record)
            key = keys[i] if keys is not None else None
            if key is not None and key in self._exact:
                decisions.append(self._join(self._exact[key], idx, "exact", 1.0))
                continue
            target, similarity = None, 0.0
            if sets is not None and sigs is not None and sets.sizes[i] > 0:
                data = sets.get(i) if cfg.verify == "exact" else sigs[i]
                target, similarity = self._best_candidate(self.index.query(band_keys[i]), data)
                if target is None:
                    self.index.insert(band_keys[i], idx)
                    self._rep_data[idx] = data.copy()
            if key is not None:
                self._exact[key] = idx if target is None else self._cluster_id(target)
            if target is not None:
                decisions.append(self._join(target, idx, "near", similarity))
            else:
                decisions.append(Decision(idx, None, None, 0.0))
        self.count += len(records)
        return decisions

    def _best_candidate(self, candidates: set[int], data: U32) -> tuple[int | None, float]:
        best, best_sim = None, -1.0
        for cand in sorted(candidates):
            other = self._rep_data[cand]
            sim = jaccard(data, other) if self.config.verify == "exact" else float(np.mean(data == other))
            if sim >= self.config.threshold and sim > best_sim:
                best, best_sim = cand, sim
        return best, max(best_sim, 0.0)

    def _cluster_id(self, index: int) -> int:
        return self._cluster_of.get(index, index)

    def _join(self, target: int, idx: int, reason: Reason, similarity: float) -> Decision:
        cid = self._cluster_id(target)
        cluster = self.clusters.get(cid)
        if cluster is None:
            cluster = self.clusters[cid] = Cluster(rep=cid, kept=cid)
            self._cluster_of[cid] = cid
        cluster.members.append(Member(idx, reason, similarity))
        self._cluster_of[idx] = cid
        kept_before = cluster.kept
        if self.config.keep == "best" and self._scores[idx] > self._scores[cluster.kept]:
            self.removed.add(cluster.kept)
            cluster.kept = idx
        else:
            self.removed.add(idx)
        return Decision(idx, kept_before, reason, similarity)

    # --- results --------------------------------------------------------------------------------
    def is_kept(self, index: int) -> bool:
        return index < self.count and index not in self.removed

    def counts(self) -> dict[str, int]:
        exact = sum(1 for c in self.clusters.values() for m in c.members if m.reason == "exact")
        near = sum(1 for c in self.clusters.values() for m in c.members if m.reason == "near")
        return {"exact_duplicate": exact, "near_duplicate": near, "clusters": len(self.clusters)}
