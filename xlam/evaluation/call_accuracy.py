"""Accuracy call by call: how many of the gold calls of BFCL's single-turn call items a model got right.

BFCL scores an item right only when every call is: a parallel_multiple item of three calls is lost by one
wrong argument. Per call, a model's weakness shows apart from the number of calls it gives: each gold call
of an item counts as right when a call of the answer, not yet matched to another gold call, passes BFCL's
per-call check (:func:`xlam.bfcl.checker.check_call`: name, required and optional arguments, types, values),
matched in order as BFCL's order-free parallel checker does. An answer that did not decode to a call list
gets none right. Run 9's recipe model (docs/QUALITY.md): 44% of simple_python's calls, 26% of the calls
inside parallel_multiple items.

    from xlam.evaluation.call_accuracy import call_accuracy
    table = call_accuracy(load_items("runs/eval"), questions, answers)   # {category: CallAccuracy}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlam.bfcl.checker import check_call
from xlam.bfcl.data import category_language


@dataclass
class CallAccuracy:
    """One category: items, gold calls, gold calls matched by a passing call, items with as many calls as gold."""

    items: int = 0
    calls: int = 0
    right: int = 0
    count_right: int = 0

    @property
    def rate(self) -> float:
        return self.right / self.calls if self.calls else 0.0


def matched_calls(functions: Sequence[Mapping[str, Any]], decoded: Any, answers: Sequence[Mapping[str, Any]],
                  language: str = "python", *, underscore_to_dot: bool = False) -> int:
    """How many of ``answers`` (BFCL possible-answer calls) a distinct call of ``decoded`` passes."""
    calls = [c for c in decoded if isinstance(c, Mapping)] if isinstance(decoded, list) else []
    docs = {str(f.get("name")): f for f in functions}
    used: set[int] = set()
    right = 0
    for answer in answers:
        doc = docs.get(next(iter(answer)))
        if doc is None:
            continue
        for index, call in enumerate(calls):
            if index not in used and check_call(doc, call, answer, language, underscore_to_dot=underscore_to_dot).valid:
                used.add(index)
                right += 1
                break
    return right


def call_accuracy(items: Iterable[Mapping[str, Any]], questions: Mapping[str, Mapping[str, Any]],
                  answers: Mapping[str, Sequence[Mapping[str, Any]]], *,
                  underscore_to_dot: bool = False) -> dict[str, CallAccuracy]:
    """Per category, the gold calls of the scored ``items`` (``results.jsonl`` rows with ``id``, ``category``,
    ``decoded``) a call of the answer passes; items without a possible answer (irrelevance) are left out."""
    out: dict[str, CallAccuracy] = {}
    for item in items:
        gold = answers.get(str(item["id"]))
        question = questions.get(str(item["id"]))
        if not gold or question is None:
            continue
        category = str(item["category"])
        row = out.setdefault(category, CallAccuracy())
        decoded = item.get("decoded")
        row.items += 1
        row.calls += len(gold)
        row.right += matched_calls(question["function"], decoded, gold, category_language(category),
                                   underscore_to_dot=underscore_to_dot)
        row.count_right += isinstance(decoded, list) and len(decoded) == len(gold)
    return out


__all__ = ["CallAccuracy", "call_accuracy", "matched_calls"]
