"""Multi-part requests over two to four tools (``SynthesisConfig.task_rate``), BFCL's parallel_multiple shape.

BFCL's 200 parallel_multiple items call 2 distinct functions in 105, 3 in 67, 4 in 19 (1 in 9), with 2, 3
and 4 calls about a third each, and most say their parts in order: "Could you help me with a few tasks?
First, ... Secondly, ... Lastly, ...", "1) ... 2) ...". The template synthesis called exactly two tools in
every parallel_multiple sample (the library drew one other tool, not the one or two meant) and joined the
parts with "Also," / "Then": 82 of the recipe's 11,768 records called three tools and none four, and run 8's
models scored 8-9% on the category, giving the wrong number of calls on 73 of its 200 items. A task-list
draft calls :data:`TOOL_COUNTS` distinct tools (weighted as BFCL), one call each or two for some (at most
:data:`MAX_CALLS`), and says the parts in one of several orderings. Run 9 (docs/QUALITY.md): at 0.7, non-live
AST 27.88 against the recipe's 28.62 in the same call, parallel_multiple 9.0 against 8.0: not taken; the
category is bounded by each call's accuracy (26% inside its items), not by the samples' shape.
"""

from __future__ import annotations

import random

#: Distinct tools a task-list sample calls, and their weights (BFCL parallel_multiple: 105 / 67 / 19 of 191).
TOOL_COUNTS = (2, 3, 4)
TOOL_WEIGHTS = (0.55, 0.35, 0.10)
#: Most calls in one task-list sample (BFCL parallel_multiple: 2-4 calls, one item of 200 with 5).
MAX_CALLS = 4
#: Chance that a tool is called twice (two argument sets said as one part), while calls remain.
TWICE_RATE = 0.25

_OPENERS = ("", "", "Could you help me with a few tasks? ", "I need a few things done. ",
            "Can you do the following for me? ", "I have several requests. ", "Please help me with this: ")
_ORDINALS = (
    ("First, ", "Second, ", "Third, ", "Fourth, "),
    ("First, ", "Secondly, ", "Thirdly, ", "Fourthly, "),
    ("To start, ", "After that, ", "Then ", "Then "),
    ("First, ", "Next, ", "Then ", "After that, "),
)
_LAST = ("Finally, ", "Lastly, ", "And finally, ")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def task_list_request(requests: list[str], rng: random.Random) -> str:
    """The requests (two or more, each a sentence or more) as one message that says them in order: ordinal
    words ("First, ... Secondly, ... Lastly, ..."), a numbered list ("1) ... 2) ...") or a plain run of
    sentences after an opener ("Can you do the following for me?")."""
    if len(requests) < 2:
        raise ValueError("a task list needs two or more requests")
    opener = rng.choice(_OPENERS)
    form = rng.random()
    if form < 0.6:
        words = rng.choice(_ORDINALS)
        last = rng.choice(_LAST) if rng.random() < 0.6 else words[min(len(requests), 4) - 1]
        parts = [(last if i == len(requests) - 1 and i > 0 else words[min(i, 3)]) + _lower_first(r.strip())
                 for i, r in enumerate(requests)]
        return opener + " ".join(parts)
    if form < 0.85:
        style = rng.choice(("{n}) ", "{n}. ", "({n}) "))
        sep = rng.choice((" ", "\n"))
        body = sep.join(style.format(n=i + 1) + r.strip() for i, r in enumerate(requests))
        return (opener or "Please do the following: ") + ("\n" if sep == "\n" else "") + body
    return opener + " ".join(r.strip() for r in requests)


__all__ = ["MAX_CALLS", "TOOL_COUNTS", "TOOL_WEIGHTS", "TWICE_RATE", "task_list_request"]
