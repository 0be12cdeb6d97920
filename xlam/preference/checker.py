"""BFCL's AST check of one assistant step against a record's ground truth.

Preference pairs are verified by the same checker that scores models (:func:`xlam.bfcl.checker.check`,
100% agreement with bfcl-eval's): the record becomes a BFCL entry (its query and its tools in BFCL's
form), its ground truth the possible answer, and the record's category picks BFCL's routing
(simple / multiple / parallel / parallel_multiple; irrelevance and clarification: "no call").
"""

from __future__ import annotations

from dataclasses import dataclass

from xlam.bfcl import checker as bfcl_checker
from xlam.records import Category, Record, Step

_BFCL_CATEGORY = {Category.SIMPLE: "simple", Category.MULTIPLE: "multiple", Category.PARALLEL: "parallel",
                  Category.PARALLEL_MULTIPLE: "parallel_multiple", Category.IRRELEVANCE: "irrelevance",
                  Category.CLARIFICATION: "irrelevance"}


@dataclass(frozen=True)
class CheckResult:
    valid: bool
    error_type: str = ""
    message: str = ""


def check_step(record: Record, step: Step) -> CheckResult:
    """Whether ``step`` (an assistant turn answering ``record.query``) passes BFCL's checker against
    ``record.ground_truth``."""
    category = record.inferred_category()
    if category not in _BFCL_CATEGORY:
        raise ValueError(f"no BFCL-style check for category {category}")
    entry = {"id": record.id, "question": [[{"role": "user", "content": record.query}]],
             "function": [t.to_bfcl() for t in record.tools]}
    answer = list(record.ground_truth.calls) if record.ground_truth else []
    verdict = bfcl_checker.check(_BFCL_CATEGORY[category], list(step.tool_calls), entry, answer)
    return CheckResult(bool(verdict.valid), str(verdict.error_type or ""), "; ".join(map(str, verdict.errors)))


__all__ = ["CheckResult", "check_step"]
