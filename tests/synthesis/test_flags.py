"""Booleans said as requests say them (``SynthesisConfig.flag_rate``): "including dissent", "without outdoor
seating", "make it detailed" instead of "the include dissent is true". Off by default (queries and draws
unchanged); on, the records verify and pass BFCL's own checker."""

from __future__ import annotations

import random
import re
from pathlib import Path

from tests.synthesis.drafting import draft_queries
from xlam.datasets import read_records
from xlam.preference.checker import check_step
from xlam.synthesis import SynthesisConfig, run_synthesis
from xlam.synthesis.phrasing import voice_flag

STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")


def test_phrases_from_parameter_names() -> None:
    rng = random.Random(0)
    assert voice_flag("include_dissent", True, rng) in ("including dissent", "include dissent", "with dissent")
    assert voice_flag("include_dissent", False, rng) in ("without dissent", "excluding dissent", "not including dissent")
    assert voice_flag("includeImages", False, rng) in ("without images", "excluding images", "not including images")
    assert voice_flag("show_details", True, rng) == "show details"
    assert voice_flag("show_details", False, rng) in ("do not show details", "don't show details")
    assert voice_flag("is_vegan", False, rng) == "which is not vegan"
    assert voice_flag("latest_only", True, rng) == "only latest" and voice_flag("latest_only", False, rng) is None
    assert voice_flag("detailed", True, rng) in ("make it detailed", "detailed, please")
    assert voice_flag("pet_friendly", True, rng) == "pet friendly" and voice_flag("open_now", False, rng) == "not open now"
    assert voice_flag("outdoor_seating", False, rng) in ("without outdoor seating", "no outdoor seating")


def test_default_is_unchanged_and_not_dumped() -> None:
    default = draft_queries(SynthesisConfig(), STYLES, 120, seed=9)
    assert draft_queries(SynthesisConfig(flag_rate=0.0), STYLES, 120, seed=9) == default
    assert "flag_rate" not in SynthesisConfig().model_dump(mode="json")
    assert draft_queries(SynthesisConfig(flag_rate=1.0), STYLES, 120, seed=9) != default


def test_synthesized_flags_verify_and_pass_bfcl_checker(tmp_path: Path) -> None:
    # the domains whose tools take booleans (27 of the 459 catalog tools do)
    tools = "+".join(f"module:xlam.tools.catalog.domains.{m}" for m in ("restaurants", "hotels", "travel", "health"))
    config = SynthesisConfig(n=120, seed=2, tools=tools, flag_rate=1.0,
                             optional_rate=1.0, compact_rate=0.3, whole_numbers="int",
                             styles=["simple", "parallel", "multiple"])
    run_synthesis(None, str(tmp_path / "out"), config)
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 120
    flagged = [(r, c, k, v) for r in records for s in r.steps for c in s.tool_calls for k, v in c.arguments.items()
               if isinstance(v, bool)]
    assert len(flagged) >= 10
    said = [r for r, _c, k, v in flagged if not re.search(r"\b(true|false)\b", r.query, re.IGNORECASE)]
    assert len(said) > len(flagged) // 2  # most booleans are asked for in words, not "is true"
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in records if not check_step(r, r.steps[0]).valid]
    assert failed == []
