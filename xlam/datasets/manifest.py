"""The dataset manifest: the commit marker and table of contents of a dataset directory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xlam.records import SCHEMA_VERSION

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


class ShardInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="Shard file name, relative to the dataset directory.")
    records: int = Field(ge=0)
    sha256: str = Field(min_length=64, max_length=64)
    bytes: int = Field(ge=0)


class Manifest(BaseModel):
    """Written last: a directory without a valid manifest is not a dataset."""

    model_config = ConfigDict(extra="forbid")

    manifest_version: int = MANIFEST_VERSION
    schema_version: str = SCHEMA_VERSION
    name: str = ""
    source: str = Field(default="", description="What the records came from (converter, stage, generator).")
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    command: str = Field(default="", description="The command or stage config that created it.")
    parents: list[str] = Field(default_factory=list, description="URIs (or ids) of the parent datasets.")
    shards: list[ShardInfo] = Field(default_factory=list)
    compression: str | None = Field(default=None, description="None or 'zstd'.")
    stats: dict[str, Any] = Field(default_factory=dict, description="Stage-specific summary.")

    @property
    def num_records(self) -> int:
        return sum(s.records for s in self.shards)
