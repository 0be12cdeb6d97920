"""`xlam data synthesize | preference | import-chat | tools` end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from xlam.cli.main import app
from xlam.datasets import read_records

runner = CliRunner()


def test_synthesize_then_preference_then_import_chat(tmp_path: Path) -> None:
    out, rejects, report = tmp_path / "synth", tmp_path / "rej", tmp_path / "report"
    result = runner.invoke(app, ["data", "synthesize", "--tools", "default", "--n", "12", "--generator", "template",
                                 "--styles", "simple,parallel,irrelevance", "--out", str(out), "--rejects", str(rejects),
                                 "--seed", "3", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "| template |" in result.output
    records = list(read_records(str(out)))
    assert len(records) == 12 and {r.provenance.extra["style"] for r in records} <= {"simple", "parallel", "irrelevance"}
    assert (report / "synthesize.report.json").exists()

    result = runner.invoke(app, ["data", "preference", str(out), "--out", str(tmp_path / "pairs"), "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert all(p.rejected is not None for p in read_records(str(tmp_path / "pairs")))

    chats = tmp_path / "chats.jsonl"
    chats.write_text(json.dumps({"messages": [{"role": "user", "content": "Name three primary colors."},
                                              {"role": "assistant", "content": "Red, yellow and blue."}]}) + "\n")
    result = runner.invoke(app, ["data", "import-chat", str(chats), "--out", str(tmp_path / "general")])
    assert result.exit_code == 0, result.output
    assert [r.category for r in read_records(str(tmp_path / "general"))] == ["chat"]


def test_bad_input_exits_with_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "synthesize", "--n", "2", "--out", str(tmp_path / "o"), "--styles", "sideways"])
    assert result.exit_code == 2 and "styles" in result.output
    result = runner.invoke(app, ["data", "synthesize", "--n", "2", "--out", str(tmp_path / "o"),
                                 "--tools", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "unknown tools source" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no messages"}\n')
    result = runner.invoke(app, ["data", "import-chat", str(bad), "--out", str(tmp_path / "g"), "--on-error", "fail"])
    assert result.exit_code == 2 and "bad.jsonl, line 1:" in result.output


def test_tools_lists_the_catalog(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "tools", "--export", str(tmp_path / "reg.jsonl")])
    assert result.exit_code == 0, result.output
    assert "206 tools, 206 executable" in result.output
    assert len((tmp_path / "reg.jsonl").read_text().splitlines()) == 206
