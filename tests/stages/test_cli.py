"""``xlam data augment`` / ``xlam data verify`` through the real CLI app."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from xlam.cli.main import app
from xlam.datasets import read_records, write_records
from xlam.records import Record, Step, ToolCall
from xlam.tools import ToolRegistry

from . import sample_tools
from .bfcl_records import bfcl_records

runner = CliRunner()


def test_augment_and_verify_commands(tmp_path: Path) -> None:
    records = [r for r in bfcl_records() if r.meta["bfcl_category"] == "simple_python"][:20]
    write_records(str(tmp_path / "in"), records)
    (tmp_path / "aug.yaml").write_text(
        "copies: 2\nshuffle_sections: false\noutput_formats: [xlam_json, yaml]\n"
    )
    result = runner.invoke(
        app,
        [
            "data",
            "augment",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "aug"),
            "--seed",
            "5",
            "--config",
            str(tmp_path / "aug.yaml"),
            "--report",
            str(tmp_path / "rep"),
        ],
    )
    assert result.exit_code == 0, result.output
    augmented = list(read_records(str(tmp_path / "aug")))
    assert len(augmented) == 40 and {r.meta["output_format"] for r in augmented} == {"xlam_json", "yaml"}
    assert all(r.meta["prompt_style"]["section_order"][0] == "task_instruction" for r in augmented)

    registry = ToolRegistry.from_module(sample_tools.__name__)
    registry.to_jsonl(str(tmp_path / "tools.jsonl"))
    executable = Record(
        id="exec",
        tools=registry.tools(),
        query="add 1 and 2",
        steps=[Step(tool_calls=[ToolCall(name="add", arguments={"a": 1, "b": 2})])],
    )
    write_records(str(tmp_path / "mixed"), [*augmented, executable])
    result = runner.invoke(
        app,
        [
            "data",
            "verify",
            str(tmp_path / "mixed"),
            "--out",
            str(tmp_path / "ok"),
            "--rejects",
            str(tmp_path / "bad"),
            "--tools",
            str(tmp_path / "tools.jsonl"),
            "--judge",
            "template",
            "--report",
            str(tmp_path / "vrep"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "pass rate" in result.output
    accepted = {r.id: r for r in read_records(str(tmp_path / "ok"))}
    assert accepted["exec"].steps[0].observations == [3]
    assert len(accepted) + len(list(read_records(str(tmp_path / "bad")))) == 41
    assert (tmp_path / "vrep" / "verify.report.json").exists()


def test_bad_input_exits_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["data", "verify", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "no dataset" in missing.output
    write_records(str(tmp_path / "in"), [{"id": "x", "steps": [{"tool_calls": [{"name": ""}]}]}])
    bad_record = runner.invoke(app, ["data", "verify", str(tmp_path / "in"), "--out", str(tmp_path / "o")])
    assert (
        bad_record.exit_code == 2
        and "line 1" in bad_record.output
        and "steps[0].tool_calls[0].name" in bad_record.output
    )
    (tmp_path / "bad.yaml").write_text("copies: 0\n")
    bad_config = runner.invoke(
        app,
        [
            "data",
            "augment",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "o"),
            "--config",
            str(tmp_path / "bad.yaml"),
        ],
    )
    assert bad_config.exit_code == 2 and "copies" in bad_config.output
    unknown_field = runner.invoke(
        app,
        [
            "data",
            "augment",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "o"),
            "--config",
            str(tmp_path / "nofile.yaml"),
        ],
    )
    assert unknown_field.exit_code == 2 and "nofile.yaml" in unknown_field.output
    no_tools = runner.invoke(
        app,
        [
            "data",
            "verify",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "o"),
            "--tools",
            str(tmp_path / "missing.jsonl"),
        ],
    )
    assert no_tools.exit_code == 2 and "missing.jsonl" in no_tools.output
