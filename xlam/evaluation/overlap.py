"""How many of a function's words a request repeats, and where a model answers call items in prose.

A template request copies its tool's description ("Please find fitness classes of a type in a city on a
date. ..."): nearly every synthesized call sample repeats all of its tool's content words, while BFCL's
queries are written apart from their functions' descriptions ("How much time will it take for the light to
reach earth from a star 4 light years away?" for ``light_travel_time``: "Calculate the time taken for light
to travel from a celestial body to another."). :func:`word_overlap` is the share of the function's content
words (description and name) the request contains; :func:`prose_by_overlap` bins scored BFCL items by it and
counts the call items answered in prose, so a report can say whether refusals follow
the request's wording rather than what it asks.

    from xlam.evaluation.overlap import prose_by_overlap, training_overlap
    bins = prose_by_overlap(load_items("runs/eval"))          # BFCL items of the scored categories
    train = training_overlap(read_records("data/dataset"))    # synthesized call samples
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Words that say nothing about what a function does.
STOPWORDS = frozenset({"the", "a", "an", "of", "for", "in", "and", "to", "with", "is", "on", "given", "by", "at",
                       "what", "me", "it", "its", "or", "from", "as", "be", "this", "that", "i", "my", "you"})
#: Bin edges (share of the function's words the request repeats): [0, 0.1), [0.1, 0.2) ... [0.4, 1].
EDGES: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4)


def content_words(text: str) -> set[str]:
    """Lower-case alphabetic words of ``text`` without :data:`STOPWORDS` (``get_stock_price`` -> get, stock, price)."""
    return {w for w in re.findall(r"[a-z]+", text.replace("_", " ").lower()) if w not in STOPWORDS}


def word_overlap(request: str, function: Mapping[str, Any]) -> float:
    """Share of the function's content words (description and name) that ``request`` contains (0..1)."""
    words = content_words(str(function.get("description") or "")) | content_words(str(function.get("name") or ""))
    if not words:
        return 0.0
    return len(words & content_words(request)) / len(words)


def bin_of(share: float) -> int:
    return sum(share >= edge for edge in EDGES)


def bin_label(index: int) -> str:
    low = 0.0 if index == 0 else EDGES[index - 1]
    return f">= {low:.1f}" if index == len(EDGES) else f"{low:.1f}-{EDGES[index]:.1f}"


@dataclass
class OverlapBin:
    label: str
    items: int = 0
    prose: int = 0
    correct: int = 0

    @property
    def prose_rate(self) -> float:
        return self.prose / self.items if self.items else 0.0


def prose_by_overlap(items: Iterable[Mapping[str, Any]], questions: Mapping[str, Mapping[str, Any]],
                     answers: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[OverlapBin]:
    """Scored call items (``id``, ``valid``, ``decoded``) binned by the overlap of their last user turn with the
    first expected function's doc; ``prose`` counts the answers in prose (:func:`is_prose`)."""
    bins = [OverlapBin(bin_label(i)) for i in range(len(EDGES) + 1)]
    for item in items:
        entry, expected = questions.get(item["id"]), answers.get(item["id"])
        if entry is None or not expected:
            continue  # an irrelevance item or one of a category without answers
        name = next(iter(expected[0]))
        docs = {f["name"]: f for f in entry["function"]}
        if name not in docs:
            continue
        turn = entry["question"][0][-1]["content"]
        target = bins[bin_of(word_overlap(turn, docs[name]))]
        target.items += 1
        target.prose += is_prose(item)
        target.correct += bool(item.get("valid"))
    return bins


def is_prose(item: Mapping[str, Any]) -> bool:
    """No call list decoded and the answer does not even start one (an unparsable ``[f(x=3K)]`` is not prose)."""
    return not item.get("decoded") and not str(item.get("raw_output") or "").lstrip().startswith("[")


def training_overlap(records: Iterable[Any]) -> list[int]:
    """Counts per bin of the overlap of each single-turn call record's query with its first call's tool."""
    counts = [0] * (len(EDGES) + 1)
    for record in records:
        steps = record.steps
        calls = steps[0].tool_calls if steps else []
        if not calls or not record.query:
            continue
        tool = next((t for t in record.tools if t.name == calls[0].name), None)
        if tool is None:
            continue
        counts[bin_of(word_overlap(record.query, {"name": tool.name, "description": tool.description}))] += 1
    return counts
