"""``xlam data`` commands through the real typer app (exit codes, messages, files)."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from xlam.cli.main import app
from xlam.datasets import read_manifest, read_records

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_unify_validate_stats_export(sources_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "ds")
    code, text = invoke("data", "unify", "--from", "actionstudio", "--in", str(sources_dir / "actionstudio.jsonl"),
                        "--out", out, "--compression", "zstd")
    assert code == 0, text
    assert "3 records" in text and read_manifest(out).compression == "zstd"
    code, text = invoke("data", "validate", out)
    assert code == 0 and "ok: 3 records" in text
    code, text = invoke("data", "stats", out, "--plot", str(tmp_path / "s.png"))
    assert code == 0 and "| parallel | 1 |" in text and (tmp_path / "s.png").stat().st_size > 1000
    code, text = invoke("data", "stats", out, "--json")
    assert code == 0 and orjson.loads(text)["by_category"] == {"parallel": 1, "multi_turn": 1, "irrelevance": 1}
    code, text = invoke("data", "export", out, "--to", "actionstudio", "--out", str(tmp_path / "as.jsonl"))
    assert code == 0
    rows = [orjson.loads(line) for line in (tmp_path / "as.jsonl").read_bytes().splitlines()]
    assert [r["unique_trajectory_id"] for r in rows] == ["toolace-00017", "iqa-00421", "invocation_greeting-00003"]
    code, text = invoke("data", "export", out, "--to", "openai", "--out", str(tmp_path / "oa.jsonl"))
    assert code == 0 and rows[0]["tools"] == orjson.loads((tmp_path / "oa.jsonl").read_bytes().splitlines()[0])["tools"]


def test_bad_input_exits_2_with_location(sources_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    good = (sources_dir / "openai.jsonl").read_text().splitlines()
    bad = orjson.dumps({"id": "b", "messages": [{"role": "user", "content": "hi"},
                                                {"role": "assistant", "tool_calls": [{"function": {"arguments": {}}}]}]})
    src.write_text("\n".join([good[0], good[1], bad.decode(), good[2]]) + "\n")
    code, text = invoke("data", "unify", "--from", "openai", "--in", str(src), "--out", str(tmp_path / "o"))
    assert code == 2
    assert f"{src}, line 3, field messages[1]" in text and "name" in text
    assert not (tmp_path / "o").exists()
    code, text = invoke("data", "unify", "--from", "openai", "--in", str(src), "--out", str(tmp_path / "o"),
                        "--on-error", "skip", "--rejects", str(tmp_path / "rejects.jsonl"))
    assert code == 0 and "1 rejected" in text
    reject = orjson.loads((tmp_path / "rejects.jsonl").read_bytes())
    assert reject["line"] == 3 and reject["field"].startswith("messages[1]") and reject["source"]["id"] == "b"
    assert len(list(read_records(str(tmp_path / "o")))) == 3


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, text = invoke("data", "unify", "--from", "nope", "--in", "x", "--out", str(tmp_path / "o"))
    assert code == 2 and "unknown source format 'nope'" in text
    code, text = invoke("data", "unify", "--from", "apigen", "--in", str(tmp_path / "missing.jsonl"),
                        "--out", str(tmp_path / "o"))
    assert code == 2 and "missing.jsonl" in text
    code, text = invoke("data", "unify", "--from", "apigen", "--in", "x", "--out", "y", "--on-error", "ignore")
    assert code == 2 and "--on-error must be fail or skip" in text
    code, text = invoke("data", "validate", str(tmp_path))
    assert code == 2 and "manifest.json is missing" in text


def test_validate_reports_corrupt_record(sources_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    assert invoke("data", "unify", "--from", "react", "--in", str(sources_dir / "react.jsonl"), "--out", str(out))[0] == 0
    shard = out / "part-00000.jsonl"
    lines = shard.read_bytes().splitlines()
    row = orjson.loads(lines[1])
    row["steps"][0]["tool_calls"][0]["name"] = ""
    shard.write_bytes(b"\n".join([lines[0], orjson.dumps(row), *lines[2:]]) + b"\n")
    code, text = invoke("data", "validate", str(out))
    assert code == 2
    assert "part-00000.jsonl, line 2, field steps[0].tool_calls[0].name" in text


def test_shard_and_concat(sources_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "ds")
    invoke("data", "unify", "--from", "openai", "--in", str(sources_dir / "openai.jsonl"), "--out", out)
    code, text = invoke("data", "shard", out, "--n", "2", "--out-prefix", str(tmp_path / "p"))
    assert code == 0 and "3 records" in text and "2 records" in text
    code, text = invoke("data", "concat", str(tmp_path / "p-00000"), str(tmp_path / "p-00001"),
                        "--out", str(tmp_path / "j"))
    assert code == 0 and "5 records" in text


def test_demo_prints_bfcl_summary(tmp_path: Path) -> None:
    code, text = invoke("data", "demo", "--out", str(tmp_path / "bfcl"), "--plot", str(tmp_path / "bfcl.png"))
    assert code == 0, text
    assert "unified 3641 BFCL records" in text and "| irrelevance | 1124 |" in text
    assert "| live_multiple | 1053 |" in text and "| simple_javascript | 50 |" in text
    assert (tmp_path / "bfcl.png").is_file()


def test_pipeline_unify_verify_dedup(tmp_path: Path) -> None:
    """``xlam data pipeline``: the core composition the control plane's data-pipeline runs use."""
    work = tmp_path / "work"
    code, text = invoke("data", "pipeline", "--from", "bfcl", "--category", "simple_python", "--limit", "20",
                        "--work", str(work))
    assert code == 0, text
    assert "[unify] " in text and "[verify] " in text and "[dedup] " in text
    out = work / "data" / "deduped"
    assert f"-> {out}" in text and 0 < read_manifest(str(out)).num_records <= 20
    for stage in ("unify", "verify", "dedup"):
        assert (work / "reports" / stage / f"{stage}.report.json").is_file()
    code, text = invoke("data", "pipeline", "--from", "bfcl", "--category", "simple_python", "--limit", "5",
                        "--work", str(work), "--no-dedup", "--overwrite")
    assert code == 0, text
    assert "[dedup]" not in text and f"-> {work / 'data' / 'verified'}" in text
