"""Scoring raw outputs and aggregating accuracies the way BFCL does.

- :func:`score_output`: raw model text (or native tool calls) -> decoded calls -> :class:`ItemResult`
  with BFCL's error types, including decoding failures (``ast_decoder:decoder_failed``) and the
  relevance rules (a decoding failure is "no call").
- :func:`summarize`: per-category accuracies -> BFCL v4 group scores (non-live AST: unweighted mean
  of simple [mean of python/java/javascript], multiple, parallel, parallel-multiple; live AST:
  weighted by test count; irrelevance: mean of non-live and live irrelevance; relevance) and a
  v2-style overall: the unweighted mean of the groups we score, each the mean of its non-live and
  live parts (the xLAM paper's aggregation, without the executable and REST groups that v4 dropped).
  Summaries over incomplete category sets are computed over what is present and flagged.
"""

from __future__ import annotations

from statistics import mean
from typing import Any, Literal

from pydantic import BaseModel, Field

from xlam.bfcl.checker import RELEVANCE_CATEGORIES, Verdict, check, language_of
from xlam.bfcl.decoding import decode_native_output, decode_prompt_output
from xlam.formats import FormatParseError
from xlam.records import ToolCall

PromptMode = Literal["native", "prompt"]

NON_LIVE_SIMPLE = ("simple_python", "simple_java", "simple_javascript")
NON_LIVE_AST = ("multiple", "parallel", "parallel_multiple")
LIVE_AST = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
IRRELEVANCE = ("irrelevance", "live_irrelevance")
V2_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # group: (non-live part (averaged first), live part)
    "simple": (NON_LIVE_SIMPLE, ("live_simple",)),
    "multiple": (("multiple",), ("live_multiple",)),
    "parallel": (("parallel",), ("live_parallel",)),
    "parallel_multiple": (("parallel_multiple",), ("live_parallel_multiple",)),
    "irrelevance": (("irrelevance",), ("live_irrelevance",)),
    "relevance": ((), ("live_relevance",)),
}


class ItemResult(BaseModel):
    """The verdict on one BFCL entry."""

    id: str
    category: str
    valid: bool
    error_type: str | None = None
    errors: list[Any] = Field(default_factory=list)
    decoded: Any = None
    raw_output: str = ""


def score_output(
    category: str,
    raw_output: str,
    entry: dict[str, Any],
    possible_answer: list[Any] | None,
    *,
    mode: PromptMode = "prompt",
    tool_calls: list[ToolCall] | None = None,
    underscore_to_dot: bool = False,
) -> ItemResult:
    """Decode ``raw_output`` (prompt mode: BFCL's decoders; native: tool calls or any format) and check it."""
    base = {"id": str(entry["id"]), "category": category, "raw_output": raw_output}
    try:
        if mode == "prompt":
            decoded: Any = decode_prompt_output(raw_output, language_of(category))
        else:
            decoded = decode_native_output(raw_output, tool_calls)
    except FormatParseError as exc:
        if category in RELEVANCE_CATEGORIES:
            verdict = check(category, "decode failed", entry)  # a decoding failure means "no call"
            return ItemResult(**base, valid=verdict.valid, error_type=verdict.error_type, errors=[*verdict.errors, str(exc)])
        return ItemResult(**base, valid=False, error_type="ast_decoder:decoder_failed", errors=[f"Invalid syntax. Failed to decode AST. {exc}"])
    if underscore_to_dot:
        decoded = [{_dot_name(entry, name): args for name, args in call.items()} if isinstance(call, dict) else call for call in decoded]
    try:
        verdict = check(category, decoded, entry, possible_answer)
    except (KeyError, TypeError, AttributeError, NotImplementedError, ValueError) as exc:
        # BFCL's checker would crash on these inputs; count the answer as wrong rather than stop a run.
        verdict = Verdict(valid=False, error_type="checker_error", errors=[f"{type(exc).__name__}: {exc}"])
    return ItemResult(**base, valid=verdict.valid, error_type=verdict.error_type, errors=verdict.errors, decoded=_jsonable(decoded))


def _dot_name(entry: dict[str, Any], name: str) -> str:
    """Map an API-safe ``a_b`` name back to the dotted function name it stands for."""
    for function in entry.get("function", []):
        if function["name"].replace(".", "_") == name:
            return str(function["name"])
    return name


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {("null" if k is None else str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


class CategoryScore(BaseModel):
    category: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


class Summary(BaseModel):
    """One aggregate: its value, the categories it used, and whether all of them were scored."""

    name: str
    value: float | None
    categories: list[str]
    complete: bool
    description: str = ""


def category_scores(results: list[ItemResult]) -> dict[str, CategoryScore]:
    scores: dict[str, CategoryScore] = {}
    for r in results:
        s = scores.setdefault(r.category, CategoryScore(category=r.category, correct=0, total=0))
        s.total += 1
        s.correct += int(r.valid)
    return scores


def _present(scores: dict[str, CategoryScore], cats: tuple[str, ...]) -> list[str]:
    return [c for c in cats if c in scores and scores[c].total]


def _unweighted(scores: dict[str, CategoryScore], cats: list[str]) -> float | None:
    return mean(scores[c].accuracy for c in cats) if cats else None


def _weighted(scores: dict[str, CategoryScore], cats: list[str]) -> float | None:
    total = sum(scores[c].total for c in cats)
    return sum(scores[c].correct for c in cats) / total if total else None


def summarize(scores: dict[str, CategoryScore]) -> list[Summary]:
    """BFCL v4 single-turn group scores and the v2-style unweighted overall (see module doc)."""
    out: list[Summary] = []
    simple = _present(scores, NON_LIVE_SIMPLE)
    non_live_parts: list[float] = []
    if simple:
        non_live_parts.append(_unweighted(scores, simple) or 0.0)
    non_live_parts += [scores[c].accuracy for c in _present(scores, NON_LIVE_AST)]
    non_live_cats = simple + _present(scores, NON_LIVE_AST)
    out.append(Summary(
        name="non_live_ast", value=mean(non_live_parts) if non_live_parts else None, categories=non_live_cats,
        complete=len(non_live_cats) == len(NON_LIVE_SIMPLE) + len(NON_LIVE_AST),
        description="BFCL v4 non-live: unweighted mean of simple (mean of py/java/js), multiple, parallel, parallel_multiple",
    ))
    live = _present(scores, LIVE_AST)
    out.append(Summary(name="live_ast", value=_weighted(scores, live), categories=live, complete=len(live) == len(LIVE_AST),
                       description="BFCL v4 live: accuracy weighted by test count"))
    irr = _present(scores, IRRELEVANCE)
    out.append(Summary(name="irrelevance", value=_unweighted(scores, irr), categories=irr, complete=len(irr) == 2,
                       description="mean of non-live and live irrelevance"))
    rel = _present(scores, ("live_relevance",))
    out.append(Summary(name="relevance", value=_unweighted(scores, rel), categories=rel, complete=bool(rel)))
    groups, used, complete = [], [], True
    for non_live, live_part in V2_GROUPS.values():
        parts = []
        nl = _present(scores, non_live)
        if nl:
            parts.append(_unweighted(scores, nl) or 0.0)
        lp = _present(scores, live_part)
        if lp:
            parts.append(scores[lp[0]].accuracy)
        complete &= len(nl) == len(non_live) and len(lp) == len(live_part)
        used += nl + lp
        if parts:
            groups.append(mean(parts))
    out.append(Summary(
        name="v2_overall", value=mean(groups) if groups else None, categories=used, complete=complete,
        description="v2-style unweighted mean over scored groups (simple, multiple, parallel, parallel_multiple, irrelevance, relevance), each the mean of its non-live and live parts",
    ))
    groups_v4 = [s.value for s in out[:3] if s.value is not None]
    out.append(Summary(
        name="v4_single_turn", value=mean(groups_v4) if groups_v4 else None,
        categories=non_live_cats + live + irr, complete=all(s.complete for s in out[:3]),
        description="BFCL v4 overall restricted to single-turn: equal weights (10/10/10) on non-live, live, irrelevance",
    ))
    return out
