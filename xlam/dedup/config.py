"""Configuration of the dedup stage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DedupConfig(BaseModel):
    """Exact dedup on a normalised content hash, then near-duplicate dedup with MinHash LSH.

    Near-duplicates are judged on the *task*: the query text (and the user's follow-up turns)
    as character or word n-gram shingles, plus the names of the offered tools. Two records are
    near-duplicates when the Jaccard similarity of these shingle sets is at least ``threshold``.
    """

    model_config = ConfigDict(extra="forbid")

    exact: bool = Field(default=True, description="Drop records whose normalised content is identical.")
    near: bool = Field(default=True, description="Drop near-duplicates (MinHash LSH + Jaccard check).")
    threshold: float = Field(default=0.8, gt=0.0, le=1.0, description="Jaccard similarity at or above which records are near-duplicates.")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations (signature length).")
    shingle: Literal["char", "word"] = Field(default="char", description="Shingles: character or word n-grams of the normalised text.")
    ngram: int = Field(default=5, ge=1, le=32, description="n of the n-gram shingles.")
    tool_weight: float = Field(
        default=0.25, ge=0.0, lt=1.0,
        description="Share of each shingle set made of tool-name tokens (0 = compare query text only).",
    )
    lsh_weights: tuple[float, float] = Field(
        default=(0.05, 0.95),
        description="(false-positive, false-negative) weights for choosing LSH bands; candidates are then checked exactly.",
    )
    verify: Literal["exact", "estimate"] = Field(
        default="exact",
        description="Check LSH candidates with the exact Jaccard of the shingle sets, or with the MinHash estimate.",
    )
    ignore_tool_order: bool = Field(default=True, description="Exact key: the tool list is a set (order ignored).")
    keep: Literal["first", "best"] = Field(
        default="first",
        description="Which record of a cluster survives: the first in input order, or the best "
        "(most verification checks passed, then most complete, then first).",
    )
    seed: int = Field(default=1, description="MinHash permutation seed.")
    batch_size: int = Field(default=2048, ge=1, description="Records hashed together (vectorised).")
    report_examples: int = Field(default=20, ge=0, description="Clusters shown as examples in the Markdown report.")
