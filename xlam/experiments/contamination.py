"""Overlap of a training set with BFCL: exact function-name matches and 8-gram overlap of queries.

A training set that shares function names or long word sequences with BFCL's questions would make
BFCL scores a memory test. Both numbers must be about zero for a clean result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from xlam.bfcl.data import SINGLE_TURN_CATEGORIES, load_questions
from xlam.records import Record

_WORD = re.compile(r"[a-z0-9]+")


def ngrams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _bfcl_text(entry: dict[str, Any]) -> str:
    turns = entry["question"]
    first = turns[0] if turns and isinstance(turns[0], list) else turns
    return " ".join(str(m.get("content") or "") for m in first if m.get("role") == "user")


def bfcl_index(categories: Sequence[str] = SINGLE_TURN_CATEGORIES, n: int = 8,
               data_dir: str | None = None) -> tuple[set[str], set[tuple[str, ...]]]:
    """(function names, query n-grams) of the BFCL categories."""
    names: set[str] = set()
    grams: set[tuple[str, ...]] = set()
    for category in categories:
        for entry in load_questions(category, data_dir):
            names.update(str(f["name"]) for f in entry.get("function", []))
            grams |= ngrams(_bfcl_text(entry), n)
    return names, grams


def contamination(records: Iterable[Record], *, n: int = 8, categories: Sequence[str] = SINGLE_TURN_CATEGORIES,
                  data_dir: str | None = None) -> dict[str, Any]:
    """Counts and examples of training records that overlap BFCL."""
    names, grams = bfcl_index(categories, n, data_dir)
    total = name_hits = gram_hits = 0
    tool_names: set[str] = set()
    shared_names: set[str] = set()
    examples: list[dict[str, Any]] = []
    for record in records:
        total += 1
        own = {t.name for t in record.tools}
        tool_names |= own
        hit_names = own & names
        if hit_names:
            name_hits += 1
            shared_names |= hit_names
        texts = [record.query, *(s.user_input for s in record.steps if s.user_input)]
        overlap = set().union(*(ngrams(t, n) for t in texts)) & grams if texts else set()
        if overlap:
            gram_hits += 1
            if len(examples) < 10:
                examples.append({"id": record.id, "ngram": " ".join(sorted(overlap)[0])})
    return {
        "records": total,
        "records_with_bfcl_function_name": name_hits,
        "distinct_tool_names": len(tool_names),
        "bfcl_function_names_shared": sorted(shared_names),
        f"records_with_bfcl_query_{n}gram": gram_hits,
        f"share_with_bfcl_query_{n}gram": gram_hits / total if total else 0.0,
        "examples": examples,
        "bfcl_categories": list(categories),
    }


def overlaps(record: Record, names: set[str], grams: set[tuple[str, ...]], n: int = 8) -> list[str]:
    """Why ``record`` overlaps BFCL (empty when it does not)."""
    reasons = [f"function name {name}" for name in sorted({t.name for t in record.tools} & names)]
    texts = [record.query, *(s.user_input for s in record.steps if s.user_input)]
    shared = set().union(*(ngrams(t, n) for t in texts)) & grams if texts else set()
    if shared:
        reasons.append("query 8-gram '" + " ".join(sorted(shared)[0]) + "'")
    return reasons


def decontaminate(in_uri: str, out_uri: str, *, n: int = 8, data_dir: str | None = None) -> dict[str, Any]:
    """Copy ``in_uri`` to ``out_uri`` without the records that overlap BFCL; counts by reason."""
    from xlam.datasets import DatasetWriter, read_records

    names, grams = bfcl_index(SINGLE_TURN_CATEGORIES, n, data_dir)
    kept = dropped = 0
    reasons: dict[str, int] = {}
    with DatasetWriter(out_uri, source="decontaminate", parents=[in_uri], command="decontaminate(bfcl)") as out:
        for record in read_records(in_uri):
            why = overlaps(record, names, grams, n)
            if why:
                dropped += 1
                for reason in why:
                    key = reason.split(" '")[0] if reason.startswith("query") else reason
                    reasons[key] = reasons.get(key, 0) + 1
            else:
                kept += 1
                out.write(record)
    return {"kept": kept, "dropped": dropped, "reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1]))}


__all__ = ["bfcl_index", "contamination", "decontaminate", "ngrams", "overlaps"]
