"""run_unify: datasets out, fail vs skip, rejects, atomicity, compression, reports."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from xlam.converters import UnifyConfig, run_unify
from xlam.datasets import dataset_exists, read_manifest, read_records
from xlam.errors import RecordError


def _with_bad_rows(sources_dir: Path, tmp_path: Path) -> Path:
    lines = (sources_dir / "apigen.jsonl").read_bytes().splitlines()
    bad = [orjson.dumps({"id": 90, "query": "q", "tools": "[oops", "answers": "[]"}),
           orjson.dumps({"id": 91, "query": "q", "tools": "[]", "answers": '[{"name": 3}]'})]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([lines[0], bad[0], *lines[1:3], bad[1], *lines[3:]]) + b"\n")
    return path


def test_unify_writes_dataset_with_provenance(sources_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    report = run_unify("openai", [str(sources_dir / "openai.jsonl")], str(out), report_dir=tmp_path / "report")
    assert report.input_records == report.output_records == 5 and report.rejected_records == 0
    manifest = read_manifest(str(out))
    assert manifest.source == "unify:openai" and manifest.parents == [str(sources_dir / "openai.jsonl")]
    assert "xlam data unify --from openai" in manifest.command
    records = list(read_records(str(out)))
    assert [r.id for r in records][:2] == ["oa-single", "oa-parallel"]
    assert records[0].provenance.source_location == f"{sources_dir / 'openai.jsonl'}:1"
    assert (tmp_path / "report" / "unify.report.json").is_file()
    assert report.counts["multi_turn"] == 2


def test_fail_leaves_nothing(sources_dir: Path, tmp_path: Path) -> None:
    path = _with_bad_rows(sources_dir, tmp_path)
    out = tmp_path / "out"
    with pytest.raises(RecordError) as info:
        run_unify("apigen", [str(path)], str(out))
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 2, "tools")
    assert not out.exists() and not dataset_exists(str(out))
    assert [p.name for p in tmp_path.iterdir()] == ["mixed.jsonl"]  # no staging dirs left behind


def test_skip_writes_rejects_with_reasons(sources_dir: Path, tmp_path: Path) -> None:
    path = _with_bad_rows(sources_dir, tmp_path)
    out = tmp_path / "out"
    report = run_unify("apigen", [str(path)], str(out), UnifyConfig(on_error="skip"))
    assert (report.input_records, report.output_records, report.rejected_records) == (7, 5, 2)
    assert report.rejects_uri == f"{out}.rejects.jsonl"
    rejects = [orjson.loads(line) for line in Path(report.rejects_uri).read_bytes().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(2, "tools"), (5, "answers[0].name")]
    assert rejects[0]["source"]["id"] == 90 and "not valid JSON" in rejects[0]["reason"]
    assert [r.id for r in read_records(str(out))] == [f"apigen-{i}" for i in range(5)]


def test_zstd_shards_limit_and_content_ids(sources_dir: Path, tmp_path: Path) -> None:
    out = f"file://{tmp_path}/z"
    run_unify("sharegpt", [str(sources_dir / "sharegpt.jsonl")], out,
              UnifyConfig(compression="zstd", shard_size=2, limit=3))
    manifest = read_manifest(out)
    assert manifest.compression == "zstd" and [s.records for s in manifest.shards] == [2, 1]
    assert all(s.path.endswith(".jsonl.zst") for s in manifest.shards)
    records = list(read_records(out, verify_checksums=True))
    # Glaive rows have no id: the id is the content hash, stable across runs
    assert records[0].id.startswith("rec-") and records[0].id == records[0].with_content_id().id
    again = run_unify("sharegpt", [str(sources_dir / "sharegpt.jsonl")], str(tmp_path / "again"))
    assert again.output_records == 4
    assert [r.id for r in read_records(str(tmp_path / "again"))][:3] == [r.id for r in records]


def test_existing_dataset_is_kept_unless_overwrite(sources_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "ds")
    run_unify("react", [str(sources_dir / "react.jsonl")], out)
    from xlam.errors import DatasetError

    with pytest.raises(DatasetError, match="already exists"):
        run_unify("react", [str(sources_dir / "react.jsonl")], out)
    assert len(list(read_records(out))) == 3
    run_unify("toolbench", [str(sources_dir / "toolbench.jsonl")], out, UnifyConfig(overwrite=True))
    assert {r.source for r in read_records(out)} == {"toolbench"}


def test_bfcl_categories_option(tmp_path: Path) -> None:
    report = run_unify("bfcl", [], str(tmp_path / "b"),
                       UnifyConfig(categories=["simple_java", "live_relevance"]))
    assert report.output_records == 116
    assert report.groups["records_by_input"] == {"BFCL_v4_simple_java.json": 100, "BFCL_v4_live_relevance.json": 16}


def test_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError):
        UnifyConfig.model_validate({"on_error": "skip", "shards": 3})
    with pytest.raises(ValueError):
        UnifyConfig(on_error="ignore")  # type: ignore[arg-type]
