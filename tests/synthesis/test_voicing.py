"""Dates said in words and arguments said inside the request (``SynthesisConfig.date_rate`` and
``inline_rate``, xlam.synthesis.phrasing.Voicing): off by default, where queries and their random draws are
exactly as before the options existed; on, the verified calls keep ISO dates and exact values, and the
semantic check accepts a date said in words for its ISO value (and nothing else)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from tests.synthesis.drafting import draft_queries
from xlam.datasets import read_records
from xlam.records import Tool
from xlam.synthesis import SynthesisConfig, phrasing, run_synthesis
from xlam.synthesis.checks import _supported

STYLES = ("simple", "multiple", "parallel", "parallel_multiple")
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|" \
         r"Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"


def _queries(config: SynthesisConfig, n: int = 200) -> list[str]:
    return draft_queries(config, STYLES, n, seed=11)


def test_date_forms() -> None:
    assert phrasing.date_forms("2021-03-05") == ["March 5, 2021", "5 March 2021", "March 5th, 2021",
                                                 "the 5th of March 2021", "Mar 5, 2021", "March 5th 2021",
                                                 "2021/03/05", "2021.3.5"]
    assert phrasing.date_forms("2022-11-22")[2] == "November 22nd, 2022"
    assert phrasing.date_forms("2022-11-13")[3] == "the 13th of November 2022"
    assert phrasing.date_forms("2021-02-30") == [] and phrasing.date_forms("March 5") == []
    assert phrasing.is_date_parameter({"type": "string", "description": "The arrival date (YYYY-MM-DD)."})
    assert phrasing.is_date_parameter({"type": "string", "format": "date"})
    assert not phrasing.is_date_parameter({"type": "string", "description": "The city."})


def test_semantic_check_accepts_a_date_in_words_for_its_iso_value_only() -> None:
    assert _supported("2021-03-05", "Book it for March 5th, 2021 please.")
    assert _supported("2021-03-05", "arriving on the 5th of march 2021")
    assert _supported("2021-03-05", "arriving on 2021-03-05")
    assert not _supported("2021-03-05", "arriving on March 6, 2021")
    assert not _supported("2021-03-05", "arriving on March 5, 2022")


def test_defaults_are_unchanged_and_not_dumped() -> None:
    default = _queries(SynthesisConfig())
    assert _queries(SynthesisConfig(date_rate=0.0, inline_rate=0.0)) == default
    assert not any(re.search(_MONTH + r" \d{1,2}(st|nd|rd|th)?, \d{4}", q) for q in default)
    dumped = SynthesisConfig().model_dump(mode="json")
    assert "date_rate" not in dumped and "inline_rate" not in dumped  # data keys of existing recipes stay
    again = SynthesisConfig.model_validate(SynthesisConfig(date_rate=0.5, inline_rate=0.25).model_dump(mode="json"))
    assert (again.date_rate, again.inline_rate) == (0.5, 0.25)


def test_inline_request_says_every_value_inside_the_sentence() -> None:
    tool = Tool(name="bmi", description="Compute the body mass index of a person.",
                parameters={"type": "object", "required": ["weight", "height"], "properties": {
                    "weight": {"type": "number", "description": "The weight in kilograms."},
                    "height": {"type": "number", "description": "The height in meters."},
                    "system": {"type": "string", "description": "Unit system"}}})
    seen = set()
    for seed in range(40):
        text = phrasing.request(tool, {"weight": 70, "height": 1.75, "system": "metric"}, random.Random(seed),
                                voicing=phrasing.Voicing(inline_rate=1.0))
        assert text.count(".") <= 2 and "The inputs" not in text and "Details:" not in text
        assert "70" in text and "1.75" in text and "metric" in text
        assert re.search(r"\b(with|using|for|given) ", text)
        seen.update(form for form in (r"a weight( in kilograms)? of 70", r"70 as the weight", r"the weight( in kilograms)? set to 70")
                    if re.search(form, text))
    assert len(seen) == 3  # the three inline forms all occur


def test_synthesis_with_dates_and_inline_verifies_and_keeps_iso_dates(tmp_path: Path) -> None:
    config = SynthesisConfig(n=60, seed=3, tools="default+domains", date_rate=1.0, inline_rate=0.5,
                             styles=["simple", "multiple", "parallel"])
    report = run_synthesis(None, str(tmp_path / "out"), config)
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 60, report
    dated = 0
    for record in records:
        calls = [c for s in record.steps for c in s.tool_calls]
        iso = [v for c in calls for v in c.arguments.values() if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)]
        for value in iso:
            dated += 1
            # said in words (date_rate 1.0), never as the ISO string, and in one of the forms of that very date
            assert value not in record.query
            assert any(form.lower() in record.query.lower() for form in phrasing.date_forms(value)), record.query
    assert dated >= 3


def test_inline_articles() -> None:
    tool = Tool(name="convert", description="Convert a quantity.", parameters={"type": "object", "properties": {
        "unit": {"type": "string", "description": "The unit to convert to."},
        "angle": {"type": "number", "description": "The angle."}}})
    texts = [phrasing.request(tool, {"unit": "stone", "angle": 3}, random.Random(seed),
                              voicing=phrasing.Voicing(inline_rate=1.0)) for seed in range(40)]
    assert any("a unit to convert to of stone" in t for t in texts) and any("an angle of 3" in t for t in texts)
    assert not any("an unit" in t or "a angle" in t for t in texts)


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_date_rate_leaves_non_date_strings_alone(rate: float) -> None:
    tool = Tool(name="t", description="Look up a city.", parameters={"type": "object", "properties": {
        "city": {"type": "string", "description": "The city."}, "code": {"type": "string", "description": "A code"}}})
    text = phrasing.request(tool, {"city": "Paris", "code": "2021-03-05"}, random.Random(0),
                            voicing=phrasing.Voicing(date_rate=rate))
    assert "2021-03-05" in text and "Paris" in text
