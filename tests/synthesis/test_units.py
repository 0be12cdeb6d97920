"""Numbers said with their units (``SynthesisConfig.unit_rate``): off by default, where queries and their
random draws are exactly as before the option existed; on, a numeric value whose parameter description
states a unit is said with it ("the angle is 30 degrees", "5%") while the verified call keeps the bare number
(GPU run 3, docs/QUALITY.md: 62 of 98 unparsable answers copied BFCL's `5Ampere` / `5%` into the call)."""

from __future__ import annotations

import random
import re

import pytest

from xlam.records import Tool
from xlam.synthesis import SynthesisConfig, load_tool_library, phrasing
from xlam.synthesis.drafts import DraftError, TemplateDrafter

STYLES = ("simple", "multiple", "parallel", "parallel_multiple")


def _drafts(config: SynthesisConfig, n: int = 160) -> list[tuple[str, str]]:
    drafter = TemplateDrafter(load_tool_library("default"), config)
    rng = random.Random(5)
    out = []
    for i in range(n):
        try:
            draft = drafter.draft(STYLES[i % len(STYLES)], rng)
        except DraftError as exc:  # a draw the drafter cannot use (the runner draws again)
            out.append((f"DraftError: {exc}", ""))
            continue
        out.append((draft.query, repr([c.model_dump() for s in draft.steps for c in s.tool_calls or []])))
    return out


@pytest.mark.parametrize(("description", "unit"), [
    ("The angle in degrees.", "degrees"), ("The nominal annual interest rate in percent.", "percent"),
    ("Body weight (kg).", "kg"), ("The loan term in years.", "years"), ("How many items.", None)])
def test_unit_of_reads_the_unit_a_description_states(description: str, unit: str | None) -> None:
    assert phrasing.unit_of({"type": "number", "description": description}) == unit
    assert phrasing.unit_of({"type": "string", "description": description}) is None


def test_default_is_unchanged_and_not_dumped(monkeypatch: pytest.MonkeyPatch) -> None:
    default = _drafts(SynthesisConfig())
    # at 0 no unit is looked up and no random number drawn, so every later draw is as before the option
    def no_lookup(schema: dict[str, object]) -> str | None:
        raise AssertionError("unit_of called at unit_rate 0")
    monkeypatch.setattr(phrasing, "unit_of", no_lookup)
    assert _drafts(SynthesisConfig(unit_rate=0.0)) == default
    monkeypatch.undo()
    assert not any(re.search(r"\d(%| percent\b| degrees\b)", query) for query, _ in default)
    # a default config dumps (and so hashes: xlam.experiments' data keys) as before the field existed
    assert "unit_rate" not in SynthesisConfig().model_dump(mode="json")
    assert SynthesisConfig.model_validate(SynthesisConfig(unit_rate=0.5).model_dump(mode="json")).unit_rate == 0.5


def test_units_are_said_while_the_calls_keep_bare_numbers() -> None:
    with_units = _drafts(SynthesisConfig(unit_rate=1.0))
    said = [(q, calls) for q, calls in with_units if re.search(r"\d(%| percent\b| degrees\b| years\b| seconds\b)", q)]
    assert len(said) >= 8
    for _query, calls in said:
        assert not re.search(r"\d\s?(%|degrees|percent)", calls)  # the calls hold numbers, never "5%"


def test_label_drops_the_unit_the_value_now_says() -> None:
    tool = Tool(name="cosine", description="Compute the cosine of an angle given in degrees.",
                parameters={"type": "object", "required": ["angle"], "properties": {
                    "angle": {"type": "number", "description": "The angle in degrees."},
                    "rate": {"type": "number", "description": "The annual interest rate in percent."}}})
    text = phrasing.request(tool, {"angle": 30, "rate": 5}, random.Random(1), voicing=phrasing.Voicing(unit_rate=1.0))
    assert "the angle is 30 degrees" in text or "the angle = 30 degrees" in text or "the angle: 30 degrees" in text
    assert re.search(r"the annual interest rate(:| is| =) 5( percent|%)", text)
    assert "in degrees is" not in text
