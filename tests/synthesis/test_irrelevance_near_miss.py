"""Irrelevance near misses (``SynthesisConfig.irrelevance_near_miss_rate``): off by default, where the
offered tools come from other categories than the withheld one, as before the option existed."""

from __future__ import annotations

import random

from xlam.synthesis import SynthesisConfig, load_tool_library
from xlam.synthesis.drafts import TemplateDrafter
from xlam.synthesis.library import stand_ins


def _irrelevance_drafts(config: SynthesisConfig, n: int = 40) -> list[tuple[str, list[str], str]]:
    library = load_tool_library("default")
    drafter = TemplateDrafter(library, config)
    rng = random.Random(3)
    out = []
    for _ in range(n):
        draft = drafter.draft("irrelevance", rng)
        out.append((draft.extra["withheld_tool"], [t.name for t in draft.tools], draft.query))
    return out


def test_default_offers_tools_of_other_categories_as_before() -> None:
    library = load_tool_library("default")
    category = {e.name: e.category for e in library.entries}
    default = _irrelevance_drafts(SynthesisConfig())
    # the default and an explicit 0 draw the same samples (no extra random draw)
    assert default == _irrelevance_drafts(SynthesisConfig(irrelevance_near_miss_rate=0.0))
    for withheld, offered, _query in default:
        assert withheld not in offered
        assert all(category[name] != category[withheld] for name in offered)
    # a default config dumps (and so hashes, xlam.experiments' data keys) as before the field existed
    assert "irrelevance_near_miss_rate" not in SynthesisConfig().model_dump(mode="json")
    set_ = SynthesisConfig(irrelevance_near_miss_rate=0.5)
    assert SynthesisConfig.model_validate(set_.model_dump(mode="json")).irrelevance_near_miss_rate == 0.5


def test_near_misses_offer_tools_of_the_withheld_tools_category() -> None:
    library = load_tool_library("default")
    category = {e.name: e.category for e in library.entries}
    drafts = _irrelevance_drafts(SynthesisConfig(irrelevance_near_miss_rate=1.0))
    for withheld, offered, _query in drafts:
        assert withheld not in offered and offered
        assert all(category[name] == category[withheld] for name in offered)
    half = _irrelevance_drafts(SynthesisConfig(irrelevance_near_miss_rate=0.5), n=200)
    near = sum(all(category[n] == category[w] for n in offered) for w, offered, _q in half)
    assert 60 < near < 140


def test_stand_ins_name_catalog_tools_and_are_never_offered_as_near_misses() -> None:
    """A near miss never offers a tool that can answer the withheld tool's request (``stand_ins.json``):
    ``lcm_of_list`` for the least common multiple of two numbers would make the refusal label wrong."""
    library = load_tool_library("default+domains")
    serving = stand_ins()
    assert set(serving) <= set(library.by_name), set(serving) - set(library.by_name)
    assert "lcm_of_list" in serving["least_common_multiple"]
    assert "least_common_multiple" in serving["lcm_of_list"]
    assert all(name not in others for name, others in serving.items())
    offered_lcm = library.near_misses(library.by_name["least_common_multiple"])
    assert offered_lcm and "lcm_of_list" not in {e.name for e in offered_lcm}
    assert "greatest_common_divisor" in {e.name for e in offered_lcm}
    drafter = TemplateDrafter(library, SynthesisConfig(irrelevance_near_miss_rate=1.0))
    rng = random.Random(5)
    for _ in range(300):
        draft = drafter.draft("irrelevance", rng)
        withheld = draft.extra["withheld_tool"]
        offered = {t.name for t in draft.tools}
        assert offered and not offered & serving.get(withheld, frozenset()), (withheld, offered)
