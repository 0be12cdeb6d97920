"""Parallel requests over every combination of two argument lists (``SynthesisConfig.product_rate``) and tools
weighted by their number of parameters (``arity_weight``). Off by default (queries and draws unchanged); on,
the records verify, pass BFCL's own checker and call every combination the query asks for."""

from __future__ import annotations

import random
from pathlib import Path

from tests.synthesis.drafting import draft_queries
from xlam.datasets import read_records
from xlam.preference.checker import check_step
from xlam.records import Tool
from xlam.synthesis import SynthesisConfig, run_synthesis
from xlam.synthesis.products import product_request, product_sets

STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")
CYLINDER = Tool(name="cylinder_volume", description="Compute the volume of a cylinder.",
                parameters={"type": "object", "properties": {
                    "radius": {"type": "number", "description": "The radius of the base."},
                    "height": {"type": "number", "description": "The height."},
                    "unit": {"type": "string", "description": "The unit of length."}},
                    "required": ["radius", "height"]})


def test_default_is_unchanged_and_not_dumped() -> None:
    default = draft_queries(SynthesisConfig(), STYLES, 120, seed=4)
    assert draft_queries(SynthesisConfig(product_rate=0.0, arity_weight=0.0), STYLES, 120, seed=4) == default
    dumped = SynthesisConfig().model_dump(mode="json")
    assert "product_rate" not in dumped and "arity_weight" not in dumped
    assert draft_queries(SynthesisConfig(product_rate=1.0), STYLES, 120, seed=4) != default
    assert draft_queries(SynthesisConfig(arity_weight=1.0), STYLES, 120, seed=4) != default


def test_every_combination_in_the_order_said() -> None:
    for seed in range(30):
        rng = random.Random(seed)
        drawn = product_sets(CYLINDER, rng, optional_rate=1.0, max_calls=4)
        assert drawn is not None
        base, first, first_values, second, second_values = drawn
        assert first != second and len(first_values) == len(second_values) == 2  # 2 x 2 within 4 calls
        query, sets = product_request(CYLINDER, *drawn, rng)
        assert len(sets) == 4
        pairs = [(s[first], s[second]) for s in sets]  # every combination, one list outermost
        assert pairs in ([(a, b) for a in first_values for b in second_values],
                         [(a, b) for b in second_values for a in first_values])
        assert all(list(s) == list(base) for s in sets)  # argument order kept
        for value in (*first_values, *second_values):
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            assert shown in query, (shown, query)


def test_no_two_scalar_arguments_gives_a_plain_parallel_draft() -> None:
    single = Tool(name="sqrt", description="Square root.",
                  parameters={"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]})
    assert product_sets(single, random.Random(0), optional_rate=1.0, max_calls=4) is None


def test_arity_weight_draws_tools_with_more_parameters() -> None:
    from xlam.synthesis import load_tool_library
    from xlam.synthesis.drafts import TemplateDrafter

    def mean_arguments(config: SynthesisConfig) -> float:
        drafter, rng = TemplateDrafter(load_tool_library("default+domains"), config), random.Random(1)
        counts = [len(drafter.draft("simple", rng).steps[0].tool_calls[0].arguments) for _ in range(600)]
        return sum(counts) / len(counts)

    assert mean_arguments(SynthesisConfig(optional_rate=0.7, arity_weight=1.0)) > \
        mean_arguments(SynthesisConfig(optional_rate=0.7)) + 0.25


def test_synthesized_products_verify_and_pass_bfcl_checker(tmp_path: Path) -> None:
    config = SynthesisConfig(n=80, seed=3, tools="default+domains", product_rate=1.0, optional_rate=0.7,
                             whole_numbers="int", percent_rate=0.5, styles=["parallel"])
    run_synthesis(None, str(tmp_path / "out"), config)
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 80
    grids = [r for r in records if len(r.steps[0].tool_calls) >= 4]
    assert len(grids) >= 25  # tools without two scalar arguments fall back to a plain parallel sample
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in records if not check_step(r, r.steps[0]).valid]
    assert failed == []
