"""Records from the real BFCL v4 files (through FOUNDATION's bfcl converter), and near-duplicate
variants of them made by seeded edits of the query."""

from __future__ import annotations

import random
from functools import cache

from xlam.assets import bfcl_data_dir
from xlam.converters import get_converter
from xlam.records import Record

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple")
_FILLERS = ("please", "now", "quickly", "also", "kindly", "today")


@cache
def bfcl_records(categories: tuple[str, ...] = CATEGORIES) -> tuple[Record, ...]:
    converter = get_converter("bfcl")
    items = converter.iter_source(str(bfcl_data_dir()), {"categories": list(categories)})
    return tuple(record for item in items for record in converter.convert_item(item))


def edit_query(text: str, rng: random.Random, edits: int = 1) -> str:
    """``edits`` random small edits: drop/insert/duplicate a word, swap two adjacent characters,
    change case, or change punctuation."""
    words = text.split()
    for _ in range(edits):
        op = rng.choice(("drop", "insert", "typo", "case", "punct"))
        if op == "drop" and len(words) > 4:
            del words[rng.randrange(len(words))]
        elif op == "insert":
            words.insert(rng.randrange(len(words) + 1), rng.choice(_FILLERS))
        elif op == "typo":
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3:
                j = rng.randrange(len(w) - 1)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif op == "case":
            i = rng.randrange(len(words))
            words[i] = words[i].upper() if rng.random() < 0.5 else words[i].lower()
        else:
            words[-1] = words[-1].rstrip("?.!") + rng.choice(("?", ".", "!", ""))
    return " ".join(words)


def near_duplicate(record: Record, rng: random.Random, edits: int = 1) -> Record:
    """A copy of ``record`` with an edited query and a new id."""
    return record.model_copy(update={"id": f"{record.id}-dup{rng.randrange(10**6)}", "query": edit_query(
        record.query, rng, edits)})
