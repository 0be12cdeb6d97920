"""Normalisation for dedup: the exact-duplicate key and the text compared for near-duplicates."""

from __future__ import annotations

import re
from typing import Any

from xlam.records import Record, canonical_json, content_hash

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Lower-case, collapse whitespace, strip the ends."""
    return " ".join(text.lower().split()) if text else ""


def near_text(record: Record) -> str:
    """What near-duplicate detection compares: the query and the user's follow-up turns,
    lower-cased, punctuation removed, whitespace collapsed."""
    parts = [record.query, *(s.user_input for s in record.steps if s.user_input)]
    return " ".join(_PUNCT.sub(" ", " ".join(parts).lower()).split())


def exact_content(record: Record, *, ignore_tool_order: bool = True) -> dict[str, Any]:
    """The record's content with text normalised and the tool list as a set."""
    tools = [canonical_json([t.name, t.description, t.parameters, t.returns]).decode() for t in record.tools]
    if ignore_tool_order:
        tools.sort()
    steps = [
        {
            "thought": normalize_text(s.thought),
            "calls": [[c.name, c.arguments] for c in s.tool_calls],
            "observations": s.observations,
            "response": normalize_text(s.response),
            "user_input": normalize_text(s.user_input),
        }
        for s in record.steps
    ]
    return {
        "task_instruction": normalize_text(record.task_instruction),
        "format_instruction": normalize_text(record.format_instruction),
        "few_shot": [f.model_dump(mode="json") for f in record.few_shot] if record.few_shot else [],
        "query": normalize_text(record.query),
        "tools": tools,
        "steps": steps,
        "answer": normalize_text(record.answer) if record.answer is not None else None,
        "rejected": record.rejected.model_dump(mode="json") if record.rejected is not None else None,
    }


def exact_key(record: Record, *, ignore_tool_order: bool = True) -> str:
    """sha256 of :func:`exact_content`: equal for records that differ only in whitespace/case of
    text, tool order, ids, source, provenance or meta."""
    return content_hash(exact_content(record, ignore_tool_order=ignore_tool_order))


def quality_score(record: Record) -> tuple[int, int, int]:
    """Higher is better: verification checks passed, steps with thoughts, has a final answer."""
    return (
        len(record.provenance.checks),
        sum(1 for s in record.steps if s.thought),
        int(record.answer is not None),
    )
