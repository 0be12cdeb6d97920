"""Preference pairs: chosen passes, rejected fails the BFCL-style checker; kinds are balanced."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from xlam.datasets import read_records
from xlam.preference import CORRUPTIONS, PreferenceConfig, check_step, run_preference
from xlam.records import Category, GroundTruth, Record, Step, Tool, ToolCall
from xlam.synthesis import SynthesisConfig, run_synthesis


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("pref") / "verified"
    run_synthesis("default", str(out), SynthesisConfig(n=90, seed=4))
    return str(out)


def test_pairs_are_correct_and_balanced(verified: str, tmp_path: Path) -> None:
    report = run_preference(verified, str(tmp_path / "pairs"), PreferenceConfig(pairs_per_record=2, seed=1),
                            report_dir=tmp_path / "report")
    pairs = list(read_records(str(tmp_path / "pairs")))
    assert len(pairs) == report.output_records > 60
    kinds = Counter(p.rejected.kind for p in pairs if p.rejected)
    assert set(kinds) == set(CORRUPTIONS)
    assert max(kinds.values()) <= 1.25 * sorted(kinds.values())[len(kinds) // 2] + 1
    parents = {r.id: r for r in read_records(verified)}
    for pair in pairs:
        assert pair.rejected is not None and pair.rejected.reason
        assert pair.provenance.parents[0] in parents
        assert pair.steps == parents[pair.provenance.parents[0]].steps  # chosen is the verified answer
        assert check_step(pair, pair.steps[0]).valid
        assert not check_step(pair, pair.rejected.step).valid
        if pair.rejected.kind == "call_on_irrelevance":
            assert pair.inferred_category() in (Category.IRRELEVANCE, Category.CLARIFICATION)
    assert (tmp_path / "report" / "preference.report.md").exists()


def test_step_checker_follows_bfcl_rules() -> None:
    tool = Tool(name="area", description="Area.", parameters={
        "type": "object", "required": ["width"],
        "properties": {"width": {"type": "number"}, "unit": {"type": "string", "default": "m"},
                       "count": {"type": "integer"}}})
    gt = [{"area": {"width": [3.0], "unit": ["", "m"], "count": [""]}}]

    def record(category: Category) -> Record:
        return Record(id="r", source="t", category=category, tools=[tool], query="area of a 3 m wide room?",
                      steps=[Step(response="x")], ground_truth=GroundTruth(calls=gt if category != Category.IRRELEVANCE else []))

    def ok(*calls: ToolCall, category: Category = Category.SIMPLE) -> bool:
        return check_step(record(category), Step(tool_calls=list(calls))).valid

    assert ok(ToolCall(name="area", arguments={"width": 3}))  # int accepted for float
    assert ok(ToolCall(name="area", arguments={"width": 3.0, "unit": "M"}))  # normalised string
    assert not ok(ToolCall(name="area", arguments={"width": "3"}))
    assert not ok(ToolCall(name="area", arguments={"width": 3.0, "count": 2}))
    assert not ok(ToolCall(name="area", arguments={"width": 3.0, "depth": 2}))
    assert not ok(ToolCall(name="area", arguments={}))
    assert not ok(ToolCall(name="volume", arguments={"width": 3.0}))
    assert check_step(record(Category.IRRELEVANCE), Step(response="I cannot.")).valid
    assert not ok(ToolCall(name="area", arguments={"width": 1}), category=Category.IRRELEVANCE)


def test_weak_generator_failures_become_rejected(verified: str, tmp_path: Path) -> None:
    """A weak generator (the template backend's 'echo' responder answers with plain text, no call)
    fails the checker on call-style records; those answers become rejected responses."""
    from xlam.generators import GeneratorConfig

    config = PreferenceConfig(pairs_per_record=0, weak_generator=GeneratorConfig(backend="template"), weak_limit=12)
    report = run_preference(verified, str(tmp_path / "weak"), config)
    pairs = list(read_records(str(tmp_path / "weak")))
    assert pairs and all(p.rejected is not None and p.rejected.kind == "weak_generation" for p in pairs)
    for pair in pairs:
        assert not check_step(pair, pair.rejected.step).valid  # type: ignore[union-attr]
        assert pair.rejected.reason.startswith("failed check")  # type: ignore[union-attr]
    assert report.groups["pairs_by_kind"]["weak_generation"] == len(pairs)


def test_unverifiable_corruption_is_dropped() -> None:
    """A corruption that happens to still pass the checker is not emitted as a pair."""
    from xlam.preference.runner import build_pairs
    from xlam.records import GroundTruth, Record
    from xlam.reports import StageReport

    tool = Tool(name="echo", description="Echo.", parameters={
        "type": "object", "required": ["flag"], "properties": {"flag": {"type": "boolean"}}})
    record = Record(id="r", category=Category.SIMPLE, tools=[tool], query="echo true",
                    steps=[Step(tool_calls=[ToolCall(name="echo", arguments={"flag": True})])],
                    ground_truth=GroundTruth(calls=[{"echo": {"flag": [True, False]}}]))
    report = StageReport(stage="preference")
    pairs = list(build_pairs([record], PreferenceConfig(kinds=["wrong_value"]), report))
    assert pairs == [] and report.counts == {"unverified:wrong_value": 1}
