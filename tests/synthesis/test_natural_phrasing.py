"""Requests that do not copy the tool description and say arguments the way BFCL's queries do
(``SynthesisConfig.reword_rate`` and ``compact_rate``, xlam.synthesis.phrasing.Voicing): off by default, where
queries and their random draws are exactly as before; on, every verified call's values are still stated in
the query and the synthesized records pass BFCL's own checker on their gold answers."""

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

STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")

CYLINDER = Tool(name="cylinder_volume", description="Compute the volume of a cylinder.",
                parameters={"type": "object", "required": ["radius", "height"], "properties": {
                    "radius": {"type": "number", "description": "The radius of the base."},
                    "height": {"type": "number", "description": "The height of the cylinder."},
                    "years": {"type": "integer", "description": "How many years to project."},
                    "from_unit": {"type": "string", "description": "The unit of the value."},
                    "city": {"type": "string", "description": "The city."}}})


def _queries(config: SynthesisConfig, n: int = 150) -> list[str]:
    return draft_queries(config, STYLES, n, seed=7)


def test_defaults_are_unchanged_and_not_dumped() -> None:
    default = _queries(SynthesisConfig())
    assert _queries(SynthesisConfig(reword_rate=0.0, compact_rate=0.0)) == default
    dumped = SynthesisConfig().model_dump(mode="json")
    assert "reword_rate" not in dumped and "compact_rate" not in dumped  # data keys of existing recipes stay
    again = SynthesisConfig.model_validate(SynthesisConfig(reword_rate=0.5, compact_rate=0.25).model_dump(mode="json"))
    assert (again.reword_rate, again.compact_rate) == (0.5, 0.25)
    assert _queries(SynthesisConfig(reword_rate=0.5, compact_rate=0.5)) != default


def test_compact_request_uses_name_nouns_and_keeps_every_value() -> None:
    args = {"radius": 3, "height": 7.5, "years": 12, "from_unit": "inch", "city": "New York City"}
    seen: set[str] = set()
    for seed in range(60):
        text = phrasing.request(CYLINDER, args, random.Random(seed), voicing=phrasing.Voicing(compact_rate=1.0))
        assert "The inputs" not in text and "Details:" not in text and text.count(".") <= 2, text
        for value in ("3", "7.5", "12", "inch", "New York City"):
            assert value in text, (value, text)
        assert not re.search(r"\ba years\b|\ba from unit\b", text), text  # plural and stop-word names
        seen.update(form for form in (r"a radius of 3\b", r"\bradius 3\b", r"3 as the radius", r"12 years",
                                      r'"New York City"', r"[^\"]New York City[^\"]", "the unit of the value")
                    if re.search(form, text))
    assert len(seen) == 7, seen  # every form occurs: article, bare noun, "as the", plural first, quoted or not


def test_reword_does_not_copy_the_description_verb() -> None:
    texts = [phrasing.request(CYLINDER, {"radius": 3}, random.Random(seed), voicing=phrasing.Voicing(reword_rate=1.0))
             for seed in range(60)]
    assert all("3" in t for t in texts)
    assert not any(re.search(r"\bcompute the volume\b", t, re.IGNORECASE) for t in texts)
    assert any(t.startswith(("What is the volume", "What's the volume")) for t in texts)
    assert any(re.search(r"\b(calculate|work out|determine|find|get) the volume", t, re.IGNORECASE) for t in texts)


def test_parallel_compact_says_every_case() -> None:
    sets = [{"radius": 3, "height": 2}, {"radius": 5, "height": 2}, {"radius": 9, "height": 2}]
    for seed in range(30):
        text = phrasing.parallel_request(CYLINDER, sets, random.Random(seed), voicing=phrasing.Voicing(compact_rate=1.0))
        assert all(re.search(rf"\b{v}\b", text) for v in ("3", "5", "9", "2")), text


def test_synthesis_verifies_and_passes_bfcl_checker(tmp_path: Path) -> None:
    config = SynthesisConfig(n=80, seed=4, tools="default+domains", reword_rate=0.6, compact_rate=0.6,
                             words_rate=0.5, whole_numbers="int", styles=["simple", "multiple", "parallel", "parallel_multiple"])
    report = run_synthesis(None, str(tmp_path / "out"), config)
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 80, report
    assert sum(" with " in r.query or " for " in r.query for r in records) > 30
    worded = [r for r in records for s in r.steps for c in s.tool_calls for v in c.arguments.values()
              if isinstance(v, int) and not isinstance(v, bool) and phrasing.number_words(v)
              and re.search(rf"\b{phrasing.number_words(v)[0]}\b", r.query) and not re.search(rf"(?<![\d.]){v}(?![\d])", r.query)]
    assert worded  # counts said only in words, and verified
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in records if not check_step(r, r.steps[0]).valid]
    assert failed == []


def test_small_counts_said_in_words_and_accepted_for_their_number_only() -> None:
    tool = Tool(name="book_room", description="Book a hotel room.", parameters={
        "type": "object", "required": ["adults", "nights", "price"], "properties": {
            "adults": {"type": "integer", "description": "Number of adults."},
            "nights": {"type": "integer", "description": "How many nights."},
            "price": {"type": "number", "description": "Maximum price."}}})
    texts = [phrasing.request(tool, {"adults": 2, "nights": 12, "price": 3}, random.Random(seed),
                              voicing=phrasing.Voicing(words_rate=1.0)) for seed in range(10)]
    for text in texts:
        assert re.search(r"\btwo\b", text) and re.search(r"\btwelve\b", text), text
        assert re.search(r"\b3\b", text), text  # a `number` parameter keeps its digits
    big = phrasing.request(tool, {"adults": 40, "nights": 1, "price": 3}, random.Random(0),
                           voicing=phrasing.Voicing(words_rate=1.0))
    assert "40" in big and re.search(r"\bone\b", big)
    assert phrasing.number_words(2) == ["two"] and phrasing.number_words(13) == [] and phrasing.number_words(True) == []
    assert _supported(2, "for two adults") and _supported(2, "for 2 adults") and _supported(12, "Twelve nights")
    assert not _supported(3, "for two adults") and not _supported(2, "for twenty adults")


def test_words_rate_default_keeps_queries() -> None:
    default = _queries(SynthesisConfig(), n=60)
    assert _queries(SynthesisConfig(words_rate=0.0), n=60) == default
    assert "words_rate" not in SynthesisConfig().model_dump(mode="json")
    worded = _queries(SynthesisConfig(words_rate=1.0), n=200)
    assert any(re.search(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b", q) for q in worded)
