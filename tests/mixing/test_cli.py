"""`xlam data dedup`, `xlam data mix` and `xlam generate chat` through the real CLI app."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from tests.mixing.bfcl_data import bfcl_records
from xlam.cli.main import app
from xlam.datasets import read_manifest, write_records

runner = CliRunner()


def test_dedup_and_mix_commands(tmp_path: Path) -> None:
    recs = list(bfcl_records(("simple_python",)))[:60]
    write_records(str(tmp_path / "a"), recs)
    write_records(str(tmp_path / "b"), [r.model_copy(update={"id": r.id + "-copy"}) for r in recs[:10]])
    result = runner.invoke(app, ["data", "dedup", str(tmp_path / "a"), str(tmp_path / "b"), "--out",
                                 str(tmp_path / "dd"), "--threshold", "0.85", "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    assert read_manifest(str(tmp_path / "dd")).num_records <= 60
    assert "exact_duplicate" in result.output and (tmp_path / "rep" / "dedup.clusters.md").is_file()

    (tmp_path / "mix.yaml").write_text(
        f"sources:\n  - {{name: a, uri: '{tmp_path / 'dd'}', weight: 3}}\n"
        f"  - {{name: b, uri: '{tmp_path / 'b'}', weight: 1}}\n")
    result = runner.invoke(app, ["data", "mix", "--config", str(tmp_path / "mix.yaml"), "--out",
                                 str(tmp_path / "mixed"), "--n", "40", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert read_manifest(str(tmp_path / "mixed")).num_records == 40


def test_bad_input_exits_with_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "dedup", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "manifest.json is missing" in result.output
    write_records(str(tmp_path / "bad"), [{"id": "x", "tools": 5}])
    result = runner.invoke(app, ["data", "dedup", str(tmp_path / "bad"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "part-00000.jsonl, line 1, field tools:" in result.output
    result = runner.invoke(app, ["data", "dedup", str(tmp_path / "bad"), "--out", "o", "--threshold", "2"])
    assert result.exit_code == 2 and "threshold" in result.output
    (tmp_path / "m.yaml").write_text("sources: []\n")
    result = runner.invoke(app, ["data", "mix", "--config", str(tmp_path / "m.yaml"), "--out", "o"])
    assert result.exit_code == 2 and "sources" in result.output


def test_generate_chat_template_backend(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "chat", "--prompt", "Find hotels in 'Rome' for 2 nights.",
                                 "--template", "paraphrase", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.output)
    assert "'Rome'" in payload["text"] and "2" in payload["text"] and payload["model"] == "template:paraphrase"
    result = runner.invoke(app, ["generate", "chat", "--prompt", "x", "--backend", "openai"])
    assert result.exit_code == 2 and "base_url" in result.output
