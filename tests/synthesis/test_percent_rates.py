"""Rates said as percentages (``SynthesisConfig.percent_rate``): "in percent" parameters said as "5%" and, after
verification, mostly turned into decimal-rate parameters passing 0.05 (xlam.synthesis.rates); probabilities
said as "60%". Off by default (queries and draws unchanged); on, the records pass BFCL's own checker."""

from __future__ import annotations

import random
import re
from pathlib import Path

from tests.synthesis.drafting import draft_queries
from xlam.datasets import read_records
from xlam.preference.checker import check_step
from xlam.records import Tool
from xlam.synthesis import SynthesisConfig, phrasing, run_synthesis
from xlam.synthesis.checks import _supported
from xlam.synthesis.rates import percent_as_fraction, said_as_percent

STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")


def _synthesize(tmp_path: Path, **options: object) -> list:
    config = SynthesisConfig(n=120, seed=3, tools="module:xlam.tools.catalog.finance", whole_numbers="int",
                             styles=["simple", "multiple", "parallel"], **options)
    run_synthesis(None, str(tmp_path / "out"), config, overwrite=True)
    return list(read_records(str(tmp_path / "out")))


def test_default_is_unchanged_and_not_dumped() -> None:
    default = draft_queries(SynthesisConfig(), STYLES, 120, seed=5)
    assert draft_queries(SynthesisConfig(percent_rate=0.0), STYLES, 120, seed=5) == default
    assert "percent_rate" not in SynthesisConfig().model_dump(mode="json")
    assert SynthesisConfig.model_validate(SynthesisConfig(percent_rate=0.4).model_dump(mode="json")).percent_rate == 0.4


def test_rates_become_decimals_and_pass_bfcl_checker(tmp_path: Path) -> None:
    records = _synthesize(tmp_path, percent_rate=1.0)
    assert len(records) == 120
    converted = [r for r in records if "percent_as_fraction" in r.meta]
    assert 40 < len(converted) < 110  # DECIMAL_SHARE of the samples whose rates are said as percentages
    for record in converted:
        for tool in record.tools:
            for old, new in record.meta["percent_as_fraction"].get(tool.name, {}).items():
                schema = tool.parameters["properties"][new]
                assert old not in tool.parameters["properties"] and "percent" not in new
                assert re.search(r"decimal|fraction", schema["description"]) and "in percent" not in schema["description"]
                assert schema["maximum"] <= 1
                values = [c.arguments[new] for s in record.steps for c in s.tool_calls if c.name == tool.name]
                assert values and all(0 <= v <= 1 for v in values)
                # the query says each decimal as its percentage: 0.055 <- "5.5%"
                assert all(said_as_percent(round(v * 100, 8), record.query) for v in values), record.query
    kept = [r for r in records if "percent_as_fraction" not in r.meta and re.search(r"\d\s*(%|percent)", r.query)]
    assert kept  # the rest keep their "in percent" parameter and pass the percentage
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in records if not check_step(r, r.steps[0]).valid]
    assert failed == []


def test_only_rates_the_query_says_as_percentages_are_converted(tmp_path: Path) -> None:
    record = next(r for r in _synthesize(tmp_path, percent_rate=1.0) if "percent_as_fraction" in r.meta)
    call = record.steps[0].tool_calls[0]
    new = next(iter(record.meta["percent_as_fraction"][call.name].values()))
    # the same sample before conversion: "in percent" parameter, value 5.5; said without "%" it stays
    tool = next(t for t in record.tools if t.name == call.name)
    old = next(iter(record.meta["percent_as_fraction"][call.name]))
    original = record.model_copy(update={
        "tools": [tool.model_copy(update={"parameters": {**tool.parameters, "properties": {
            **{k: v for k, v in tool.parameters["properties"].items() if k != new},
            old: {"type": "number", "description": "The rate in percent.", "maximum": 30}}}})],
        "steps": [record.steps[0].model_copy(update={"tool_calls": [call.model_copy(update={"arguments": {
            **{k: v for k, v in call.arguments.items() if k != new}, old: 7}})]})],
        "query": "Use a rate of 7 and nothing else.", "ground_truth": None})
    assert percent_as_fraction(original, random.Random(0)) is original
    said = original.model_copy(update={"query": "Use a rate of 7% and nothing else."})
    out = percent_as_fraction(said, random.Random(0))
    assert out.steps[0].tool_calls[0].arguments[new] == 0.07 and old not in out.steps[0].tool_calls[0].arguments
    assert out.tools[0].parameters["properties"][new]["maximum"] == 0.3
    assert "synthesis.percent_as_fraction" in out.provenance.transformations


def test_probabilities_said_as_percentages() -> None:
    tool = Tool(name="binomial", description="Compute a binomial probability.", parameters={
        "type": "object", "required": ["p", "n"], "properties": {
            "p": {"type": "number", "minimum": 0, "maximum": 1, "description": "Probability of success."},
            "n": {"type": "integer", "description": "Number of trials."}}})
    texts = [phrasing.request(tool, {"p": 0.35, "n": 10}, random.Random(seed), voicing=phrasing.Voicing(percent_rate=1.0))
             for seed in range(10)]
    assert all(re.search(r"35(%| percent)", t) and "0.35" not in t for t in texts), texts
    assert _supported(0.35, "a 35% chance") and _supported(0.35, "35 percent") and _supported(0.35, "p is 0.35")
    assert not _supported(0.35, "a 3.5% chance") and not _supported(0.35, "135% more")
    assert phrasing.percent_forms(0.12345) == [] and phrasing.percent_forms(0.123) == ["12.3%", "12.3 percent"] and phrasing.percent_forms(1.5) == []
    assert said_as_percent(5, "at 5%") and said_as_percent(2.5, "2.5 percent") and not said_as_percent(5, "at 15%")
