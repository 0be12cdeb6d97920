"""Large numbers and apostrophes in argument values (``SynthesisConfig.magnitude_rate``, ``apostrophe_rate``):
the draws stay inside the schema, the query says the number in a form the semantic check accepts and the
call keeps the number, samples verify and pass BFCL's checker, and nothing changes at rate 0."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

from tests.synthesis.drafting import draft_queries
from xlam.datasets.reader import read_records
from xlam.formats.python_calls import render_python_call
from xlam.preference.checker import check_step
from xlam.records import ToolCall
from xlam.synthesis import SynthesisConfig, load_tool_library, run_synthesis
from xlam.synthesis.checks import _supported
from xlam.synthesis.magnitudes import (
    draw_magnitude,
    is_money,
    magnitude_forms,
    takes_magnitude,
    voice_magnitude,
)
from xlam.synthesis.phrasing import Voicing, voice_in_query
from xlam.synthesis.values import APOSTROPHES, sample_arguments

STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")


def test_default_is_unchanged_and_not_dumped() -> None:
    default = draft_queries(SynthesisConfig(tools="default+domains"), STYLES, 120, seed=4)
    assert draft_queries(SynthesisConfig(tools="default+domains", magnitude_rate=0.0, apostrophe_rate=0.0),
                         STYLES, 120, seed=4) == default
    dumped = SynthesisConfig().model_dump(mode="json")
    assert "magnitude_rate" not in dumped and "apostrophe_rate" not in dumped
    assert draft_queries(SynthesisConfig(tools="default+domains", magnitude_rate=1.0), STYLES, 120, seed=4) != default
    assert draft_queries(SynthesisConfig(tools="default+domains", apostrophe_rate=1.0), STYLES, 120, seed=4) != default


def test_which_parameters_take_a_magnitude() -> None:
    assert takes_magnitude({"type": "number", "exclusiveMinimum": 0, "maximum": 10_000_000})
    assert takes_magnitude({"type": "integer", "minimum": 2, "maximum": 100_000})
    assert not takes_magnitude({"type": "integer", "minimum": 1, "maximum": 20})      # a limit
    assert not takes_magnitude({"type": "integer"})                                   # a month: no maximum
    assert not takes_magnitude({"type": "integer", "minimum": 1950, "maximum": 2030})  # a year
    assert not takes_magnitude({"type": "number", "minimum": 5000, "maximum": 10_000_000})  # 1,000 not allowed
    assert not takes_magnitude({"type": "number", "maximum": 10_000_000, "enum": [1, 2]})
    assert is_money("principal", {"description": "The amount borrowed."})
    assert is_money("x", {"description": "The purchase price."})
    assert not is_money("radius", {"description": "The radius of the base."})
    library = load_tool_library("default+domains")
    taking = {name for e in library.entries for name, s in e.tool.properties.items() if takes_magnitude(s)}
    assert {"principal", "home_price", "revenue", "purchase_price"} <= taking
    assert not taking & {"year", "month", "k", "age", "nights", "guests", "servings", "quantity"}


def test_draws_are_round_large_and_inside_the_schema() -> None:
    rng = random.Random(0)
    for schema in ({"type": "number", "exclusiveMinimum": 0, "maximum": 10_000_000},
                   {"type": "integer", "minimum": 0, "maximum": 100_000},
                   {"type": "number", "minimum": 0, "exclusiveMaximum": 1_000_000_000}):
        values = [draw_magnitude(schema, rng) for _ in range(400)]
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        assert all(1_000 <= v <= high for v in values)
        assert "exclusiveMaximum" not in schema or all(v < high for v in values)
        assert all(isinstance(v, int) == (schema["type"] == "integer") for v in values)
        assert all(len(str(int(v)).rstrip("0")) <= 3 for v in values)  # two or three significant digits
        assert len({len(str(int(v))) for v in values}) >= (2 if high <= 100_000 else 3)  # orders of magnitude


def test_the_forms_people_write() -> None:
    assert set(magnitude_forms(25000.0, money=False)) == {"25,000"}
    assert set(magnitude_forms(2_500_000, money=False)) == {"2,500,000", "2.5 million"}
    assert "$2 million" in magnitude_forms(2_000_000) and "$25000" in magnitude_forms(25_000)
    assert "1.25 billion" in magnitude_forms(1_250_000_000, money=False)
    assert magnitude_forms(999) == [] and magnitude_forms(2500.5) == [] and magnitude_forms(True) == []
    rng = random.Random(1)
    said = {voice_magnitude(8_500_000, True, rng) for _ in range(200)}
    assert {"8.5 million", "$8.5 million", "8,500,000", "$8,500,000", "8500000", "$8500000"} == said
    assert all(f in magnitude_forms(8_500_000) or f == "8500000" for f in said)
    assert voice_magnitude(12.5, True, rng) is None
    # the semantic check finds each form in a query, and not a prefix of another number
    for query in ("an investment of $10,000 at 5%", "a population of 10 thousand", "grows to 10,000 people"):
        assert _supported(10_000, query) == ("10,000" in query)
    assert _supported(213_000_000, "a population of 213 million") and not _supported(21_300_000, "213 million")


def test_voice_in_query_says_the_number_as_written_only_at_its_rate() -> None:
    schema = {"type": "number", "maximum": 10_000_000, "description": "The purchase price."}
    rng = random.Random(2)
    said = [voice_in_query(3_200_000, schema, rng, Voicing(magnitude_rate=1.0))[0] for _ in range(60)]
    assert any(s.startswith("$") for s in said) and any("million" in s for s in said) and any("," in s for s in said)
    assert {voice_in_query(3_200_000, schema, random.Random(i), Voicing())[0] for i in range(20)} == {"3200000"}
    assert voice_in_query(250, schema, random.Random(0), Voicing(magnitude_rate=1.0))[0] == "250"


def test_apostrophes_only_for_free_text_parameters() -> None:
    parameters = {"type": "object", "required": ["message", "recipient", "status", "day"],
                  "properties": {"message": {"type": "string", "description": "The text to send."},
                                 "recipient": {"type": "string", "description": "Who gets it, by name."},
                                 "status": {"type": "string", "enum": ["draft", "sent"]},
                                 "day": {"type": "string", "format": "date"}}}
    rng = random.Random(3)
    drawn = [sample_arguments(parameters, rng, apostrophe_rate=1.0) for _ in range(30)]
    assert all(d["message"] in APOSTROPHES["sentence"] and d["recipient"] in APOSTROPHES["name"] for d in drawn)
    assert all("'" not in d["status"] + d["day"] for d in drawn)
    call = render_python_call(ToolCall(name="send", arguments={"message": "Let's meet at 10 AM tomorrow."}))
    assert call == "send(message=\"Let's meet at 10 AM tomorrow.\")"
    assert ast.parse(call).body  # the form a model must learn: double quotes around an apostrophe


def test_synthesized_samples_verify_and_pass_bfcl_checker(tmp_path: Path) -> None:
    config = SynthesisConfig(n=120, seed=5, tools="default+domains", magnitude_rate=1.0, apostrophe_rate=1.0,
                             intent_rate=0.5, slot_rate=0.5, optional_rate=0.7, whole_numbers="int", percent_rate=0.5,
                             product_rate=0.3,
                             style_weights={"simple": 0.3, "multiple": 0.3, "parallel": 0.15, "parallel_multiple": 0.15,
                                            "irrelevance": 0.1, "missing_parameter": 0.0})
    run_synthesis(None, str(tmp_path / "out"), config)
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 120
    calls = [r for r in records if r.steps[0].tool_calls]
    large = [(r.query, v) for r in calls for c in r.steps[0].tool_calls for v in c.arguments.values()
             if isinstance(v, int | float) and not isinstance(v, bool) and v >= 1000 and v == int(v)]
    written = [q for q, v in large if any(f in q for f in magnitude_forms(v))]
    assert len(large) >= 15 and len(written) >= 0.4 * len(large)
    assert all(isinstance(v, int) for _q, v in large)  # whole_numbers: int keeps the call's 25000, not 25000.0
    quoted = [r for r in calls for c in r.steps[0].tool_calls for v in c.arguments.values()
              if isinstance(v, str) and "'" in v]
    assert len(quoted) >= 5
    assert all(re.search(r'="[^"]*\'[^"]*"', render_python_call(c)) for r in quoted
               for c in r.steps[0].tool_calls if any(isinstance(v, str) and "'" in v for v in c.arguments.values()))
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in calls if not check_step(r, r.steps[0]).valid]
    assert failed == []
