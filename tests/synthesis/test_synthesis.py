"""Synthesis: every style yields checkable samples; the checks reject broken samples; seeds grow."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest

from xlam.datasets import read_manifest, read_records, write_records
from xlam.formats import get_format
from xlam.preference.checker import check_step
from xlam.records import Category, Record, Step, Tool, ToolCall
from xlam.synthesis import (
    ALL_STYLES,
    STYLE_CATEGORY,
    Draft,
    SynthesisConfig,
    Synthesizer,
    checks,
    llm,
    load_tool_library,
    run_synthesis,
)
from xlam.tools import SandboxLimits
from xlam.tools.harvest import default_registry


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, object]:
    root = tmp_path_factory.mktemp("synth")
    out, rejects, report_dir = root / "out", root / "rejects", root / "report"
    report = run_synthesis("default", str(out), SynthesisConfig(n=48, seed=11), rejects_uri=str(rejects),
                           report_dir=report_dir)
    return out, rejects, report_dir, report


def test_each_style_produces_checkable_executed_samples(synthesized) -> None:  # type: ignore[no-untyped-def]
    out, _rejects, report_dir, report = synthesized
    records = list(read_records(str(out)))
    assert len(records) == 48 == report.output_records
    assert read_manifest(str(out)).num_records == 48
    styles = {r.provenance.extra["style"] for r in records}
    assert styles == set(ALL_STYLES)
    for record in records:
        style = record.provenance.extra["style"]
        assert record.category == STYLE_CATEGORY[style]
        assert record.provenance.generator == "template"
        assert record.provenance.checks[0] == "format" and record.provenance.checks[-1] == "semantic"
        assert "execution" in record.provenance.checks
        assert record.query and record.ground_truth is not None
        # the BFCL-style checker accepts the gold answer against the ground truth
        verdict = check_step(record, record.steps[0])
        assert verdict.valid, (record.id, verdict)
        for step in record.steps:
            assert len(step.observations) == len(step.tool_calls)
        # gold answers render and parse in an output format
        if record.steps[0].tool_calls:
            fmt = get_format("json_list")
            assert fmt.parse(fmt.render(record.steps[0])).tool_calls == [
                ToolCall(name=c.name, arguments=c.arguments) for c in record.steps[0].tool_calls]
        if style == "parallel":
            assert len(record.steps[0].tool_calls) >= 2 and len({c.name for c in record.steps[0].tool_calls}) == 1
        if style == "parallel_multiple":
            assert len({c.name for c in record.steps[0].tool_calls}) >= 2
        if style == "irrelevance":
            assert not record.all_calls() and record.provenance.extra["withheld_tool"] not in {t.name for t in record.tools}
        if style == "missing_parameter":
            [missing] = record.provenance.extra["missing"]
            assert not record.steps[0].tool_calls and missing in record.steps[0].response
            assert missing in record.steps[1].tool_calls[0].arguments
    assert len({r.query for r in records}) == len(records)  # varied
    assert (report_dir / "synthesize.report.md").exists()
    assert "| template |" in report.notes[0]


def test_execution_backed_checks_reject_broken_samples() -> None:
    registry = default_registry()
    tools = {n: registry.get(n).tool for n in ("day_of_week", "square_root", "json_get_path")}  # type: ignore[union-attr]

    def draft(query: str, *calls: ToolCall, offered: str = "") -> Draft:
        return Draft("parallel" if len(calls) > 1 else "simple", query, [tools[offered or calls[0].name]],
                     [Step(tool_calls=list(calls))], "test")

    good = draft("Which weekday was 2024-02-29?", ToolCall(name="day_of_week", arguments={"date": "2024-02-29"}))
    bad_date = draft("Which weekday was 2024-02-30?", ToolCall(name="day_of_week", arguments={"date": "2024-02-30"}))
    wrong_type = draft("Square root of 16?", ToolCall(name="square_root", arguments={"x": "16"}))
    out_of_range = draft("Square root of -4?", ToolCall(name="square_root", arguments={"x": -4}))
    hallucinated = draft("Root of 9?", ToolCall(name="cube_root", arguments={"x": 9}), offered="square_root")
    unknown_arg = draft("Root of 9?", ToolCall(name="square_root", arguments={"x": 9, "precision": 2}))
    empty = draft('Read "missing" from {"a": 1}',
                  ToolCall(name="json_get_path", arguments={"text": '{"a": 1}', "path": "missing"}))
    unsupported = draft("Which weekday is my birthday?", ToolCall(name="day_of_week", arguments={"date": "1990-05-17"}))

    assert checks.format_check(good) == []
    assert checks.format_check(wrong_type)[0].startswith("invalid_value:square_root.x")
    assert checks.format_check(out_of_range)[0].startswith("invalid_value:square_root.x")
    assert checks.format_check(hallucinated) == ["undefined_function:cube_root"]
    assert checks.format_check(unknown_arg) == ["undefined_argument:square_root.precision"]

    ok_results, bad_results, empty_results, unsupported_results = checks.execution_check(
        [good, bad_date, empty, unsupported], registry, SandboxLimits())
    assert ok_results is not None and ok_results[0].ok and ok_results[0].value == "Thursday"
    assert bad_results is not None and bad_results[0].error_class == "exception:ValueError"
    assert checks.semantic_rule_check(good, ok_results) == []
    assert checks.semantic_rule_check(empty, empty_results) == ["empty_result:json_get_path"]
    assert checks.semantic_rule_check(unsupported, unsupported_results) == ["unsupported_value:day_of_week.date"]


def test_failing_tools_are_rejected_with_reasons(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "flaky_tools.py").write_text(textwrap.dedent('''
        def always_fails(city: str, days: int = 1) -> str:
            """Pretend to forecast the weather.

            Args:
                city: The city.
                days: Days ahead.
            """
            raise RuntimeError("backend down")
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    report = run_synthesis("module:flaky_tools", str(tmp_path / "out"),
                           SynthesisConfig(n=3, styles=["simple", "parallel"], max_attempts=6, batch_size=6),
                           rejects_uri=str(tmp_path / "rej"))
    assert report.output_records == 0 and report.rejected_records == 6
    assert report.groups["funnel:template"]["failed_execution"] == 6
    rejects = list(read_records(str(tmp_path / "rej")))
    assert all(r.meta["rejected_stage"] == "execution" for r in rejects)
    assert all(r.meta["reasons"][0].startswith("exception:RuntimeError@always_fails:") for r in rejects)
    assert all("backend down" in r.meta["reasons"][0] for r in rejects)
    assert report.counts == {"execution:exception:RuntimeError": 6}
    assert all(r.provenance.checks == ["format"] for r in rejects)


def test_seed_pool_grows_and_seeds_are_reused() -> None:
    config = SynthesisConfig(n=40, seed=5, styles=["multiple", "parallel_multiple"], seed_reuse_rate=1.0)
    synth = Synthesizer(load_tool_library("default"), config)
    first = [r for d, o, r in synth.step(12) if o.ok]
    assert len(synth.pool) == len(first) > 0
    second = [r for d, o, r in synth.step(12) if o.ok]
    assert len(synth.pool) == len(first) + len(second)
    pool_ids = {r.id for r in first}
    reused = [r for r in second if r.provenance.parents]
    assert reused and all(set(r.provenance.parents) <= pool_ids | {x.id for x in second} for r in reused)


def test_dataset_tools_are_synthesized_without_execution(tmp_path: Path) -> None:
    tool = Tool(name="book_table", description="Book a restaurant table.", parameters={
        "type": "object", "required": ["restaurant", "people"],
        "properties": {"restaurant": {"type": "string", "description": "Restaurant name."},
                       "people": {"type": "integer", "minimum": 1, "maximum": 12, "description": "Party size."}}})
    write_records(str(tmp_path / "src"), [Record(id="r1", tools=[tool], query="q", category=Category.SIMPLE)])
    library = load_tool_library(str(tmp_path / "src"))
    assert library.entries[0].executable is None
    report = run_synthesis(library, str(tmp_path / "out"), SynthesisConfig(n=4, styles=["simple", "parallel"]))
    records = list(read_records(str(tmp_path / "out")))
    assert report.output_records == 4
    assert all("execution:skipped" in r.provenance.checks for r in records)
    assert all(not s.observations for r in records for s in r.steps)


def test_llm_prompt_and_parse_round_trip() -> None:
    library = load_tool_library("default")
    rng = random.Random(0)
    tools = llm.sample_tools("parallel_multiple", library, SynthesisConfig(), rng)
    request = llm.build_request("parallel_multiple", tools, [], "typo", SynthesisConfig(), rng)
    assert tools[0].name in request.messages[1].content and "TWO DIFFERENT" in request.messages[1].content  # type: ignore[operator]
    text = ('Sure!\n```json\n{"query": "Square root of 81 and is 7 prime?", "answers": '
            '[{"name": "square_root", "arguments": {"x": 81}}, {"name": "is_prime", "arguments": {"n": 7}}]}\n```')
    parsed = llm.parse_response(text)
    assert [c.name for c in parsed["answers"]] == ["square_root", "is_prime"]
    with pytest.raises(ValueError):
        llm.parse_response("I cannot help with that")
