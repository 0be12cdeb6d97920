"""Cities as "City, State" (``SynthesisConfig.city_state_rate``, xlam.synthesis.places): off by default with no
extra draw; when on, a call sample's cities are US "City, ST" values its tools ask for, said as people say them,
and the samples pass the same verification."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from xlam.synthesis import SynthesisConfig, load_tool_library
from xlam.synthesis.checks import semantic_rule_check
from xlam.synthesis.drafts import Draft, DraftError, TemplateDrafter
from xlam.synthesis.places import US_PLACES, city_and_state, city_parameters, place_forms
from xlam.synthesis.runner import run_synthesis

_CODES = {f"{city}, {code}" for city, code, _ in US_PLACES}


def _placed(value: object) -> bool:
    return isinstance(value, str) and value in _CODES


def _draw(drafter: TemplateDrafter, style: str, rng: random.Random) -> Draft | None:
    try:
        return drafter.draft(style, rng)
    except DraftError:  # the runner retries these
        return None


def _drafts(config: SynthesisConfig, n: int = 60) -> list[Draft | None]:
    drafter = TemplateDrafter(load_tool_library("default+domains"), config)
    rng = random.Random(5)
    return [_draw(drafter, style, rng) for style in ["simple", "multiple", "parallel", "parallel_multiple"] * (n // 4)]


def test_forms_and_city_parameters() -> None:
    assert place_forms("Austin, TX") == ["Austin, TX", "Austin", "Austin, Texas"]
    assert place_forms("Austin") == [] and place_forms("Paris, France") == []
    library = load_tool_library("default+domains")
    assert city_parameters(library.by_name["get_current_conditions"].tool) == ["city"]
    assert city_parameters(library.by_name["factorial"].tool) == []
    # the list has two Portlands and two Charlestons: city_and_state never puts two of one name in a draft
    assert {c for c, _, _ in US_PLACES if [p[0] for p in US_PLACES].count(c) > 1} == {"Portland", "Charleston"}


def test_off_by_default_with_no_draw() -> None:
    default = [(d.query, [c.arguments for c in d.all_calls()]) for d in _drafts(SynthesisConfig()) if d]
    assert len(default) > 40
    assert default == [(d.query, [c.arguments for c in d.all_calls()])
                       for d in _drafts(SynthesisConfig(city_state_rate=0)) if d]
    assert not any(_placed(v) for _, calls in default for args in calls for v in args.values())
    assert "city_state_rate" not in SynthesisConfig().model_dump(mode="json")  # data keys as before


def test_a_draft_with_a_city_becomes_city_and_state() -> None:
    drafter = TemplateDrafter(load_tool_library("default+domains"), SynthesisConfig(slot_rate=0.5))
    rng = random.Random(11)
    moved = several = 0
    for _ in range(400):
        draft = _draw(drafter, rng.choice(["simple", "multiple", "parallel"]), rng)
        if draft is None:
            continue
        out = city_and_state(draft, random.Random(1))
        if out is draft:
            continue
        moved += 1
        values = [v for c in out.all_calls() for k, v in c.arguments.items()
                  if k in city_parameters(next(t for t in draft.tools if t.name == c.name))]
        assert values and all(_placed(v) for v in values), values
        assert len({v.split(",")[0] for v in values}) == len(set(values))  # one name, one place
        several += len(set(values)) > 1
        # the request says each place in one of its forms, and the old city is gone from it
        assert all(any(re.search(rf"(?<!\w){re.escape(f)}(?!\w)", out.query) for f in place_forms(v)) for v in values)
        before = [v for c in draft.all_calls() for k, v in c.arguments.items()
                  if k in city_parameters(next(t for t in draft.tools if t.name == c.name))]
        assert not [old for old in before if old not in {v.split(",")[0] for v in values}
                    and re.search(rf"(?<!\w){re.escape(old)}(?!\w)", out.query)]
        notes = [s["description"] for t in out.tools for n, s in t.properties.items() if n in city_parameters(t)]
        assert notes and all("City, State" in d or "city and state" in d for d in notes)
        assert not [i for i in semantic_rule_check(out, None) if i.startswith("unsupported_value")]
    assert moved > 10 and several > 2


def test_synthesis_with_the_option_keeps_verifying(tmp_path: Path) -> None:
    config = SynthesisConfig(n=120, seed=0, tools="default+domains", slot_rate=0.5, city_state_rate=1.0,
                             style_weights={"simple": 1, "multiple": 1, "parallel": 1, "parallel_multiple": 1})
    report = run_synthesis(None, str(tmp_path / "out.jsonl"), config)
    assert report.output_records == 120
    rows = [json.loads(line) for f in sorted((tmp_path / "out.jsonl").glob("part-*"))
            for line in f.read_text().splitlines()]
    placed = [r for r in rows if any(_placed(v) for s in r["steps"] for c in s["tool_calls"]
                                     for v in c["arguments"].values())]
    assert len(placed) >= 6
    for row in placed:
        said = [v for s in row["steps"] for c in s["tool_calls"] for v in c["arguments"].values() if _placed(v)]
        assert all(any(f.lower() in row["query"].lower() for f in place_forms(v)) for v in said)
        assert re.search(r"City, State|city and state", json.dumps(row["tools"]))
