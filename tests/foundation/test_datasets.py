"""Datasets: atomic writes, zstd, file:// URIs, checksums, lazy streaming, split and concat."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlam.datasets import (
    DatasetReader,
    DatasetWriter,
    concat_datasets,
    dataset_exists,
    read_manifest,
    read_records,
    split_dataset,
    write_records,
)
from xlam.errors import DatasetError, RecordError
from xlam.records import Record, Step, ToolCall


def make_records(n: int) -> list[Record]:
    return [Record(id=f"r{i}", query=f"query {i}", steps=[Step(tool_calls=[ToolCall(name="f", arguments={"i": i})])])
            for i in range(n)]


def test_exception_mid_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "ds"

    def records() -> object:
        yield from make_records(5)
        raise RuntimeError("source died")

    with pytest.raises(RuntimeError):
        write_records(str(target), records(), shard_size=2)  # type: ignore[arg-type]
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_dataset(tmp_path: Path) -> None:
    uri = str(tmp_path / "ds")
    write_records(uri, make_records(3))
    with pytest.raises(RuntimeError), DatasetWriter(uri, overwrite=True) as writer:
        writer.write(make_records(1)[0])
        raise RuntimeError("interrupted")
    assert [r.id for r in read_records(uri)] == ["r0", "r1", "r2"]


@pytest.mark.parametrize("compression", [None, "zstd"])
def test_file_uri_zstd_and_checksums(tmp_path: Path, compression: str | None) -> None:
    uri = f"file://{tmp_path}/ds"
    manifest = write_records(uri, make_records(7), shard_size=3, compression=compression)
    assert manifest.num_records == 7 and len(manifest.shards) == 3
    assert read_manifest(uri).shards == manifest.shards
    assert [r.id for r in read_records(uri, verify_checksums=True)] == [f"r{i}" for i in range(7)]
    shard = tmp_path / "ds" / manifest.shards[1].path
    data = bytearray(shard.read_bytes())
    data[-2] ^= 0x01  # flip one bit
    shard.write_bytes(bytes(data))
    with pytest.raises((DatasetError, RecordError)):
        list(read_records(uri, verify_checksums=True))


def test_reading_is_lazy(tmp_path: Path) -> None:
    uri = str(tmp_path / "ds")
    manifest = write_records(uri, make_records(10), shard_size=2)
    (tmp_path / "ds" / manifest.shards[-1].path).unlink()  # a later shard is gone
    stream = read_records(uri)
    assert next(stream).id == "r0"  # the first record comes without touching the last shard
    with pytest.raises(DatasetError, match="missing"):
        list(stream)


def test_bad_record_reports_shard_line_and_field(tmp_path: Path) -> None:
    uri = str(tmp_path / "ds")
    write_records(uri, [*make_records(2), {"id": "bad", "steps": [{"tool_calls": [{"arguments": {}}]}]}])
    with pytest.raises(RecordError) as info:
        list(read_records(uri))
    assert info.value.line == 3 and info.value.field == "steps[0].tool_calls[0].name"
    assert info.value.path.endswith("part-00000.jsonl")


def test_missing_manifest_is_not_a_dataset(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "part-00000.jsonl").write_text('{"id": "x"}\n')
    assert not dataset_exists(str(tmp_path / "half"))
    with pytest.raises(DatasetError, match=r"manifest\.json is missing"):
        DatasetReader(str(tmp_path / "half"))


@pytest.mark.parametrize("mode", ["round_robin", "contiguous"])
def test_split_and_concat(tmp_path: Path, mode: str) -> None:
    src = str(tmp_path / "src")
    write_records(src, make_records(10), compression="zstd")
    outs = [str(tmp_path / f"part{k}") for k in range(3)]
    manifests = split_dataset(src, outs, mode=mode)  # type: ignore[arg-type]
    assert [m.num_records for m in manifests] == ([4, 3, 3] if mode == "round_robin" else [4, 4, 2])
    assert all(m.parents == [src] and m.compression == "zstd" for m in manifests)
    parts = [[r.id for r in read_records(o)] for o in outs]
    if mode == "round_robin":
        assert parts[1] == ["r1", "r4", "r7"]
    else:
        assert parts[2] == ["r8", "r9"]
    assert split_dataset(src, [str(tmp_path / f"again{k}") for k in range(3)], mode=mode)[0].shards[0].sha256 \
        == manifests[0].shards[0].sha256  # deterministic
    joined = concat_datasets(outs, str(tmp_path / "joined"))
    assert joined.parents == outs and joined.source == "concat"
    assert sorted(r.id for r in read_records(str(tmp_path / "joined"))) == sorted(f"r{i}" for i in range(10))
