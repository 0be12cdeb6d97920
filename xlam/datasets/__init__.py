"""Datasets: directories of JSONL shards plus a manifest written last (atomic, fsspec URIs)."""

from xlam.datasets.manifest import MANIFEST_NAME, Manifest, ShardInfo
from xlam.datasets.reader import DatasetReader, dataset_exists, read_manifest, read_records
from xlam.datasets.sharding import concat_datasets, split_dataset
from xlam.datasets.writer import DatasetWriter, write_records

__all__ = [
    "MANIFEST_NAME",
    "DatasetReader",
    "DatasetWriter",
    "Manifest",
    "ShardInfo",
    "concat_datasets",
    "dataset_exists",
    "read_manifest",
    "read_records",
    "split_dataset",
    "write_records",
]
