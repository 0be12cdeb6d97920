"""Data mixtures: weighted / size x epochs / temperature sampling over datasets, explicit per-rank
and per-worker sharding, epoch reshuffles and an exactly resumable stream state."""

from xlam.mixture.config import MixConfig, MixPlan, MixSource, SourcePlan, make_plan
from xlam.mixture.runner import run_mix
from xlam.mixture.source import SourceSlice, stream_blocks
from xlam.mixture.stream import MixItem, MixtureStream

__all__ = [
    "MixConfig",
    "MixItem",
    "MixPlan",
    "MixSource",
    "MixtureStream",
    "SourcePlan",
    "SourceSlice",
    "make_plan",
    "run_mix",
    "stream_blocks",
]
