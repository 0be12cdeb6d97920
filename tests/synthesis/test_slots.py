"""Requests with their values where the sentence needs them (xlam/synthesis/slots.json,
``SynthesisConfig.slot_rate``): every catalog tool has well-formed templates in other words than its
description, a slotted request says every argument of its call, samples still verify and pass BFCL's
checker, and nothing changes at rate 0."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from tests.synthesis.drafting import draft_queries
from xlam.datasets.reader import read_records
from xlam.evaluation.overlap import word_overlap
from xlam.preference.checker import check_step
from xlam.records import Tool
from xlam.synthesis import SynthesisConfig, load_tool_library, run_synthesis
from xlam.synthesis.phrasing import Voicing, request
from xlam.synthesis.slots import SLOT, fill, slot_templates, slotted_request
from xlam.synthesis.values import sample_arguments

STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")


def test_default_is_unchanged_and_not_dumped() -> None:
    default = draft_queries(SynthesisConfig(), STYLES, 120, seed=4)
    assert draft_queries(SynthesisConfig(slot_rate=0.0), STYLES, 120, seed=4) == default
    assert "slot_rate" not in SynthesisConfig().model_dump(mode="json")
    assert draft_queries(SynthesisConfig(slot_rate=1.0), STYLES, 120, seed=4) != default


def test_every_catalog_tool_has_three_well_formed_templates_in_other_words() -> None:
    library = load_tool_library("default+domains")
    table = slot_templates()
    assert {e.name for e in library.entries} == set(table)
    shares = []
    for entry in library.entries:
        tool = entry.tool
        required = {p for p in tool.required if tool.properties.get(p, {}).get("type") != "boolean"}
        assert len(table[entry.name]) == 3, entry.name
        for template in table[entry.name]:
            slots = SLOT.findall(template)
            assert set(slots) <= set(tool.properties) and len(slots) == len(set(slots)), (entry.name, template)
            assert not any(tool.properties[s].get("type") == "boolean" for s in slots), (entry.name, template)
            # every required value has a slot the brackets cannot drop
            filled = fill(template, required, lambda name: f"<{name}>")
            assert filled is not None and set(filled[1]) == required, (entry.name, template)
            shares.append(word_overlap(SLOT.sub(" ", template), {"name": entry.name,
                                                                 "description": tool.description}))
    assert sum(shares) / len(shares) <= 0.4  # the description-built request repeats all of its words


def test_fill_keeps_a_segment_only_with_its_argument() -> None:
    template = "Find me a room in {city}[ for {nights} nights][, under {budget}]."
    assert fill(template, {"city": 1}, str.upper) == ("Find me a room in CITY.", ["city"])
    assert fill(template, {"city": 1, "budget": 2}, str.upper) == ("Find me a room in CITY, under BUDGET.",
                                                                   ["city", "budget"])
    assert fill(template, {"nights": 3}, str.upper) is None  # a required slot without its argument


def test_a_slotted_request_says_every_argument() -> None:
    library = load_tool_library("default+domains")
    rng = random.Random(5)
    checked = 0
    for entry in library.entries:
        args = sample_arguments(entry.tool.parameters, rng, optional_rate=0.7)
        text = slotted_request(entry.tool, args, rng, Voicing())
        assert text is not None, entry.name
        for name, value in args.items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                assert str(value) in text, (entry.name, name, value, text)
                checked += 1
        assert not any("{" + p + "}" in text for p in entry.tool.properties), text  # every slot filled
    assert checked > 600
    outside = Tool(name="not_in_the_catalog", description="Frobnicate the widget.",
                   parameters={"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]})
    assert slotted_request(outside, {"x": 3}, random.Random(0), Voicing()) is None
    assert "frobnicate the widget" in request(outside, {"x": 3}, random.Random(0), voicing=Voicing(slot_rate=1.0))


def test_synthesized_slotted_samples_verify_and_pass_bfcl_checker(tmp_path: Path) -> None:
    config = SynthesisConfig(n=80, seed=3, tools="default+domains", slot_rate=1.0, intent_rate=0.5, optional_rate=0.7,
                             whole_numbers="int", percent_rate=0.5, product_rate=0.3,
                             style_weights={"simple": 0.3, "multiple": 0.3, "parallel": 0.1, "parallel_multiple": 0.2,
                                            "irrelevance": 0.1, "missing_parameter": 0.0})
    run_synthesis(None, str(tmp_path / "out"), config)
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 80
    calls = [r for r in records if r.steps[0].tool_calls]
    singles = [r for r in calls if r.category.value in ("simple", "multiple")]

    def opens_a_template(record: Any) -> bool:
        name = record.steps[0].tool_calls[0].name
        return any(record.query.startswith(re.split(r"[{\[]", t)[0]) for t in slot_templates()[name])

    assert len(singles) >= 30 and sum(map(opens_a_template, singles)) >= 0.6 * len(singles)  # typo requests aside
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in calls if not check_step(r, r.steps[0]).valid]
    assert failed == []


def test_a_typo_request_misspells_the_template_never_a_value() -> None:
    tool = load_tool_library("default+domains").registry.get("check_allergen_info").tool
    args = {"dish": "the soup of the day", "restaurant_name": "The Find", "allergen": "peanuts"}
    misspelled = 0
    for seed in range(40):
        text = slotted_request(tool, args, random.Random(seed), Voicing(), typo=True)
        assert text is not None and all(v in text for v in args.values()), text
        plain = slotted_request(tool, args, random.Random(seed), Voicing())
        misspelled += text != plain
    assert misspelled >= 10
