"""Other words for what a catalog tool does: how people ask for it without repeating its description.

A template request is built around its tool's description ("Please compute the square root of a
non-negative number. The x is 49."), so it repeats the description's words; a model trained only on such
requests learns to call a tool when the request repeats its description and to refuse otherwise (run 7's
model answered 81% of BFCL's call items whose query repeats under 10% of the function's words in prose:
:mod:`xlam.evaluation.overlap`). ``intents.json`` holds, for every tool of the ``default`` and ``domains``
catalogs, three requests in other words (verb phrases that fit the same openers: "take the root of a
figure") and one or two questions that stand alone ("What number times itself gives my value?"). They were
written for this catalog from its descriptions (none from any benchmark), and carry no argument values: the
request's next sentence states those. ``SynthesisConfig.intent_rate`` is the chance a request uses them.
"""

from __future__ import annotations

import functools
import json
import random
from importlib import resources


@functools.cache
def wordings() -> dict[str, tuple[str, ...]]:
    """Tool name -> its other wordings (requests first, then questions), from ``intents.json``."""
    raw = json.loads(resources.files("xlam.synthesis").joinpath("intents.json").read_text(encoding="utf-8"))
    return {name: (*entry["requests"], *entry["questions"]) for name, entry in raw.items()}


def other_wording(tool_name: str, rng: random.Random) -> str | None:
    """One of the tool's other wordings (a question ends with "?"), or None for a tool the file lacks (one
    harvested from a module or an OpenAPI document): one draw from ``rng`` either way."""
    options = wordings().get(tool_name, ())
    index = rng.randrange(max(1, len(options)))
    return options[index] if options else None
