"""Every BFCL v4 single-turn category converted in full; multi-turn parsed into turns."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from xlam.bfcl import data as bfcl
from xlam.converters import ExportError, get_converter
from xlam.records import Category, Record

# Upstream data defects in bfcl-eval's possible answers: parameters that the function doc does
# not declare. Pinned so that any other undeclared parameter fails the test.
KNOWN_UNDECLARED = {
    ("parallel_multiple_12", "calculate_voltage_difference", "permeability"),
    ("parallel_multiple_26", "bank.calculate_balance", "type"),
    ("live_multiple_862-181-3", "Trains_1_FindTrains", "journey_start_time"),
    ("live_multiple_964-207-0", "transfer_to_human_agent", "question"),
}


@pytest.fixture(scope="module")
def bfcl_records(bfcl_dir: Path) -> dict[str, list[Record]]:
    converter = get_converter("bfcl")
    out: dict[str, list[Record]] = {}
    for item in converter.iter_source(str(bfcl_dir), {"categories": list(bfcl.BFCL_CATEGORIES)}):
        for record in converter.convert_item(item):
            out.setdefault(record.meta["bfcl_category"], []).append(record)
    return out


def test_every_single_turn_category_in_full(bfcl_records: dict[str, list[Record]], bfcl_dir: Path) -> None:
    for category in bfcl.SINGLE_TURN_CATEGORIES:
        questions = bfcl.load_questions(category, bfcl_dir)
        records = bfcl_records[category]
        assert len(records) == len(questions), category
        assert [r.id for r in records] == [q["id"] for q in questions]
        for record, question in zip(records, questions, strict=True):
            assert [t.name for t in record.tools] == [f["name"] for f in question["function"]]
            assert record.provenance.source_location and record.source == "bfcl"


def test_ground_truth_calls_validate_against_tools(bfcl_records: dict[str, list[Record]], bfcl_dir: Path) -> None:
    undeclared = set()
    checked = 0
    for category in bfcl.SINGLE_TURN_CATEGORIES:
        answers = bfcl.load_possible_answers(category, bfcl_dir)
        for record in bfcl_records[category]:
            if category in bfcl.NO_ANSWER_CATEGORIES:
                assert record.ground_truth is None and record.all_calls() == []
                continue
            assert record.ground_truth is not None
            assert record.ground_truth.calls == answers[record.id]
            # the gold step holds one concrete call per expected call
            assert [c.name for c in record.steps[-1].tool_calls] == [next(iter(g)) for g in answers[record.id]]
            for expected in record.ground_truth.calls:
                (name, params), = expected.items()
                tool = record.tool(name)
                assert tool is not None, f"{record.id}: {name} is not among the record's tools"
                for param in params:
                    if param not in tool.properties:
                        undeclared.add((record.id, name, param))
                checked += 1
            for call, expected in zip(record.steps[-1].tool_calls, record.ground_truth.calls, strict=True):
                allowed = expected[call.name]
                for param, value in call.arguments.items():
                    assert value in allowed[param] or isinstance(value, dict | list), (record.id, param)
    assert undeclared == KNOWN_UNDECLARED
    assert checked > 2400


def test_categories_and_languages(bfcl_records: dict[str, list[Record]]) -> None:
    counts = Counter(r.category for c in bfcl.SINGLE_TURN_CATEGORIES for r in bfcl_records[c])
    assert counts[Category.IRRELEVANCE] == 240 + 884
    assert counts[Category.RELEVANCE] == 16
    assert counts[Category.PARALLEL] == 216
    java = bfcl_records["simple_java"][0]
    assert java.meta["bfcl_language"] == "java"
    assert java.tools[0].parameters["x-bfcl-language"] == "java"
    # Java values are source strings; the original Gorilla type survives in x-bfcl-type
    prop_types = {p.get("x-bfcl-type") for t in java.tools for p in t.properties.values()}
    assert prop_types - {None}
    assert all(t.to_bfcl() == f for r, q in [(java, bfcl.load_questions("simple_java")[0])]
               for t, f in zip(r.tools, q["function"], strict=True))
    # system prompts of live entries become the task instruction
    with_system = [r for r in bfcl_records["live_irrelevance"] if r.task_instruction]
    assert with_system and all(r.steps == [] or r.steps[0].response for r in with_system if r.steps)


def test_multi_turn_turns(bfcl_records: dict[str, list[Record]], bfcl_dir: Path) -> None:
    for category in bfcl.MULTI_TURN_CATEGORIES:
        answers = bfcl.load_possible_answers(category, bfcl_dir)
        questions = {q["id"]: q for q in bfcl.load_questions(category, bfcl_dir)}
        records = bfcl_records[category]
        assert len(records) == 200
        for record in records:
            assert record.category == Category.MULTI_TURN
            assert record.ground_truth is not None and record.ground_truth.turns == answers[record.id]
            turn_steps = record.meta["bfcl_turn_steps"]
            assert len(turn_steps) == len(questions[record.id]["question"]) and sum(turn_steps) == len(record.steps)
            assert len(record.all_calls()) == sum(len(t) for t in answers[record.id])
            names = {t.name for t in record.tools}
            assert {c.name for c in record.all_calls()} <= names
    first = bfcl_records["multi_turn_base"][0]
    assert first.query.startswith("Move 'final_report.pdf'")
    assert first.steps[0].tool_calls[0].name == "cd" and first.steps[0].tool_calls[0].arguments == {"folder": "document"}
    # a positional argument is named after the tool's parameter
    sort_call = next(c for c in first.all_calls() if c.name == "sort")
    assert sort_call.arguments == {"file_name": "final_report.pdf"}
    assert first.steps[turn_end(first, 0)].user_input.startswith("Perform a detailed search")
    miss = bfcl_records["multi_turn_miss_func"][0]
    assert miss.meta["missed_function"] == {"3": ["sort"]}


def turn_end(record: Record, turn: int) -> int:
    return sum(record.meta["bfcl_turn_steps"][: turn + 1]) - 1


def test_export_gives_back_the_source_entries(bfcl_records: dict[str, list[Record]], bfcl_dir: Path) -> None:
    converter = get_converter("bfcl")
    for category in bfcl.SINGLE_TURN_CATEGORIES:
        questions = bfcl.load_questions(category, bfcl_dir)
        answers = bfcl.load_possible_answers(category, bfcl_dir)
        for record, question in zip(bfcl_records[category], questions, strict=True):
            row = converter.export(record)
            assert row.pop("ground_truth", None) == answers.get(record.id)
            row.pop("language", None)
            assert row == question
    with pytest.raises(ExportError, match="multi-turn"):
        converter.export(bfcl_records["multi_turn_base"][0])


def test_cli_exports_bfcl_files(tmp_path: Path, bfcl_dir: Path) -> None:
    from typer.testing import CliRunner

    from xlam.cli.main import app

    runner = CliRunner()
    ds = str(tmp_path / "java")
    assert runner.invoke(app, ["data", "unify", "--from", "bfcl", "--category", "simple_java", "--out", ds]).exit_code == 0
    out = tmp_path / "export" / "BFCL_v4_simple_java.json"
    result = runner.invoke(app, ["data", "export", ds, "--to", "bfcl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert bfcl.load_questions("simple_java", out.parent) == bfcl.load_questions("simple_java", bfcl_dir)
    assert bfcl.load_possible_answers("simple_java", out.parent) == bfcl.load_possible_answers("simple_java", bfcl_dir)
