"""Template queries drafted straight from the drafter (no execution), for tests that compare the queries a
synthesis config produces: the same config and seed give the same list, draft errors included."""

from __future__ import annotations

import random
from collections.abc import Sequence

from xlam.synthesis import SynthesisConfig, load_tool_library
from xlam.synthesis.drafts import DraftError, TemplateDrafter


def draft_queries(config: SynthesisConfig, styles: Sequence[str], n: int, seed: int) -> list[str]:
    """``n`` queries over ``default+domains`` tools, the styles in turn, one random stream seeded ``seed``."""
    drafter = TemplateDrafter(load_tool_library("default+domains"), config)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        try:
            out.append(drafter.draft(styles[i % len(styles)], rng).query)
        except DraftError as exc:
            out.append(f"DraftError: {exc}")
    return out
