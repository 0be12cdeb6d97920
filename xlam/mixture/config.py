"""Mixture configuration and the sampling plan (probabilities from weights or size x epochs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xlam.datasets import read_manifest

Stopping = Literal["all_exhausted", "first_exhausted", "infinite"]


class MixSource(BaseModel):
    """One dataset in the mixture. Give ``weight`` (a relative sampling weight) or ``epochs``
    (passes over the source, as ActionStudio's ``{size, epochs}``; the default is 1 epoch)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Source name (used in reports and the state dict).")
    uri: str = Field(min_length=1, description="Dataset URI (a directory with manifest.json).")
    weight: float | None = Field(default=None, gt=0, description="Relative sampling weight.")
    epochs: float | None = Field(default=None, gt=0, description="Passes over the source per mixture epoch.")
    size: int | None = Field(default=None, ge=1, description="Records to use (default: the manifest's count; "
                                                             "smaller values use the first `size` records).")


class MixConfig(BaseModel):
    """How sources are mixed and sharded. See docs/MIXTURE.md."""

    model_config = ConfigDict(extra="forbid")

    sources: list[MixSource] = Field(min_length=1)
    temperature: float = Field(default=1.0, gt=0, description="p_i ∝ base_i^(1/T); T > 1 flattens towards uniform.")
    seed: int = Field(default=0, description="Base seed; every (rank, worker) stream derives its own from it.")
    shuffle: bool = Field(default=True, description="Shuffle each source's records, anew every epoch.")
    block_size: int = Field(default=256, ge=1, description="Records per sharding block (blocks are dealt to streams).")
    stopping: Stopping = Field(
        default="all_exhausted",
        description="all_exhausted: stop once every source used its quota (others keep cycling); "
        "first_exhausted: stop at the first; infinite: never stop.",
    )

    @model_validator(mode="after")
    def _check(self) -> MixConfig:
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique: {names}")
        with_weight = [s.weight is not None for s in self.sources]
        if any(with_weight) and not all(with_weight):
            raise ValueError("give every source a weight, or none (then probabilities come from size x epochs)")
        if any(with_weight) and any(s.epochs is not None for s in self.sources):
            raise ValueError("a mixture uses weights or epochs, not both")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> MixConfig:
        """Load from YAML or JSON. Also accepts ActionStudio's ``{name: {uri, size, epochs}}`` mapping
        under ``sources``."""
        import yaml

        raw: Any = yaml.safe_load(Path(path).read_text())
        if isinstance(raw, dict) and isinstance(raw.get("sources"), dict):
            raw["sources"] = [{"name": k, **v} for k, v in raw["sources"].items()]
        return cls.model_validate(raw)


class SourcePlan(BaseModel):
    """Resolved numbers of one source."""

    name: str
    uri: str
    size: int = Field(description="Records used from the source (all streams together).")
    epochs: float
    base: float = Field(description="Weight before temperature: `weight`, or size x epochs.")
    probability: float


class MixPlan(BaseModel):
    """The resolved mixture: per-source sizes and sampling probabilities (the same on every stream)."""

    sources: list[SourcePlan]
    temperature: float

    @property
    def probabilities(self) -> list[float]:
        return [s.probability for s in self.sources]

    @property
    def total_records(self) -> int:
        """Records in one mixture epoch: sum of size x epochs (what ActionStudio derives steps from)."""
        return round(sum(s.size * s.epochs for s in self.sources))


def make_plan(config: MixConfig) -> MixPlan:
    """Read the manifests and compute the sampling probabilities."""
    sources = []
    for src in config.sources:
        available = read_manifest(src.uri).num_records
        if available == 0:
            raise ValueError(f"mixture source {src.name!r} ({src.uri}) is empty")
        size = min(src.size, available) if src.size else available
        epochs = src.epochs if src.epochs is not None else 1.0
        base = src.weight if src.weight is not None else size * epochs
        sources.append((src, size, epochs, base))
    scaled = [base ** (1.0 / config.temperature) for _, _, _, base in sources]
    total = sum(scaled)
    return MixPlan(
        temperature=config.temperature,
        sources=[
            SourcePlan(name=src.name, uri=src.uri, size=size, epochs=epochs, base=base, probability=s / total)
            for (src, size, epochs, base), s in zip(sources, scaled, strict=True)
        ],
    )
