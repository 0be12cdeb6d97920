"""Dedup: exact (normalised content hash) and near-duplicate (MinHash LSH) removal of records."""

from xlam.dedup.config import DedupConfig
from xlam.dedup.engine import Cluster, Decision, Deduplicator, Member
from xlam.dedup.minhash import MinHasher, ShingleSets, jaccard, shingle_batch
from xlam.dedup.normalize import exact_key, near_text, normalize_text
from xlam.dedup.runner import run_dedup

__all__ = [
    "Cluster",
    "Decision",
    "DedupConfig",
    "Deduplicator",
    "Member",
    "MinHasher",
    "ShingleSets",
    "exact_key",
    "jaccard",
    "near_text",
    "normalize_text",
    "run_dedup",
    "shingle_batch",
]
