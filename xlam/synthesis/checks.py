"""APIGen's three-stage checker for synthesized drafts: format -> execution -> semantic.

- **format**: the output parsed (LLM drafts) and has the right shape for its style; every call
  names an *offered* tool, every argument exists in that tool's schema, required arguments are
  present and every value validates against its JSON Schema (an int is accepted for a number).
  When ``xlam.verify`` is installed its rule checks run too (``verify_record``).
- **execution**: every call runs in the sandbox (one batched subprocess for many drafts); an
  error, timeout or undefined tool rejects the draft with the fine-grained error class. Tools
  without an executable (from datasets) are skipped: ``execution:skipped``.
- **semantic**: rule checks (results are not errors or empty; each scalar argument value is
  supported by the query; the number of calls matches the intents) and, when configured and the
  generator is an LLM, the LLM judge of ``xlam.verify``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from xlam.records import GroundTruth, Record, Tool, ToolCall
from xlam.synthesis.drafts import Draft
from xlam.synthesis.places import place_forms
from xlam.synthesis.value_forms import date_forms, number_forms, number_words, percent_forms
from xlam.tools.registry import ToolRegistry
from xlam.tools.sandbox import ExecutionResult, SandboxLimits, execute_calls

STAGES = ("format", "execution", "semantic")


@dataclass
class Outcome:
    """What the checks said about one draft: passed stages, the failing stage and its reasons."""

    passed: list[str] = field(default_factory=list)
    failed_stage: str | None = None
    reasons: list[str] = field(default_factory=list)
    results: list[ExecutionResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed_stage is None

    def fail(self, stage: str, reasons: list[str]) -> None:
        self.failed_stage = stage
        self.reasons = reasons


# JSON Schema validation where a boolean is never a number/integer (BFCL's strict rule).
_STRICT_VALIDATOR: Any = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many({
        "integer": lambda _c, v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda _c, v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    }),
)


def _validator(schema: dict[str, Any]) -> Any:
    return _STRICT_VALIDATOR(schema)


def _bare_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without annotations jsonschema would misread (``x-`` keys, ``examples``)."""
    return {k: v for k, v in schema.items() if not k.startswith("x-") and k != "examples"}


def call_issues(call: ToolCall, tools: dict[str, Tool]) -> list[str]:
    """Format issues of one call against the offered tools (codes as in xLAM's error taxonomy)."""
    tool = tools.get(call.name)
    if tool is None:
        return [f"undefined_function:{call.name}"]
    issues = [f"undefined_argument:{call.name}.{a}" for a in call.arguments if a not in tool.properties]
    issues += [f"missing_required:{call.name}.{r}" for r in tool.required if r not in call.arguments]
    for name, value in call.arguments.items():
        schema = tool.properties.get(name)
        if not isinstance(schema, dict):
            continue
        error = next(iter(_validator(_bare_schema(schema)).iter_errors(value)), None)
        if error is not None:
            issues.append(f"invalid_value:{call.name}.{name}:{error.message[:120]}")
    return issues


def format_check(draft: Draft) -> list[str]:
    """Format issues of a draft (empty list: it passes)."""
    issues: list[str] = []
    if not draft.query.strip():
        issues.append("empty_query")
    if not draft.steps:
        return [*issues, "no_answer"]
    tools = {t.name: t for t in draft.tools}
    if len(tools) != len(draft.tools):
        issues.append("duplicate_tool_names")
    first = draft.steps[0]
    calls = first.tool_calls
    style = draft.style
    if style in ("irrelevance", "missing_parameter"):
        if calls:
            issues.append(f"{style}:unexpected_call")
        if not first.response.strip():
            issues.append(f"{style}:empty_response")
    elif not calls:
        issues.append("no_call")
    elif style in ("simple", "multiple") and len(calls) != 1:
        issues.append(f"{style}:expected_one_call_got_{len(calls)}")
    elif style in ("parallel", "parallel_multiple") and len(calls) < 2:
        issues.append(f"{style}:expected_several_calls")
    elif style == "parallel" and len({c.name for c in calls}) != 1:
        issues.append("parallel:calls_different_functions")
    elif style == "parallel_multiple" and len({c.name for c in calls}) < 2:
        issues.append("parallel_multiple:calls_one_function")
    if style == "missing_parameter" and draft.extra.get("missing"):
        tool = draft.tools[0] if draft.tools else None
        if tool is not None and not all(m in tool.required for m in draft.extra["missing"]):
            issues.append("missing_parameter:not_required")
    for call in draft.all_calls():
        issues += call_issues(call, tools)
    return issues


def execution_check(drafts: Sequence[Draft], registry: ToolRegistry, limits: SandboxLimits) -> list[list[ExecutionResult] | None]:
    """Run every call of every draft in one sandbox batch; ``None`` for drafts with a call of a
    non-executable tool (execution skipped)."""
    batch: list[ToolCall] = []
    spans: list[tuple[int, int] | None] = []
    for draft in drafts:
        calls = draft.all_calls()
        if any(c.name not in registry for c in calls):
            spans.append(None)
            continue
        spans.append((len(batch), len(batch) + len(calls)))
        batch += calls
    results = execute_calls(batch, registry, limits) if batch else []
    return [None if span is None else results[span[0]:span[1]] for span in spans]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower())


def _supported(value: Any, query: str) -> bool:
    """Whether a scalar argument value is stated in the query (string match, number forms)."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int | float):
        if any(re.search(r"(?<![\d.])" + re.escape(f) + r"(?![\d])", query) for f in number_forms(value)):
            return True
        # a fraction said as a percentage ("a 60% chance" for 0.6: SynthesisConfig.percent_rate)
        if any(re.search(r"(?<![\d.])" + re.escape(f), query) for f in percent_forms(value)):
            return True
        # a small count said as a word ("two adults": SynthesisConfig.words_rate)
        return any(re.search(rf"\b{w}\b", query, re.IGNORECASE) for w in number_words(value))
    if isinstance(value, str):
        # an ISO date may be said in words ("March 5, 2021": SynthesisConfig.date_rate), "Austin, TX" as
        # "Austin" or "Austin, Texas" (SynthesisConfig.city_state_rate)
        return any(_norm(form) in _norm(query) for form in (value, *date_forms(value), *place_forms(value)))
    if isinstance(value, list):
        return all(_supported(v, query) for v in value)
    if isinstance(value, dict):
        return all(_supported(v, query) for v in value.values())
    return True


def semantic_rule_check(draft: Draft, results: list[ExecutionResult] | None) -> list[str]:
    """Rule-based semantic checks (APIGen's criteria (i), (iii), (iv), (v) that rules can decide)."""
    issues: list[str] = []
    if results is not None:
        for call, result in zip(draft.all_calls(), results, strict=False):
            if not result.ok:
                issues.append(f"failed_result:{call.name}")
            elif _empty(result.value):
                issues.append(f"empty_result:{call.name}")
    context = draft.query + " " + " ".join(s.user_input for s in draft.steps)
    tools = {t.name: t for t in draft.tools}
    for call in draft.all_calls():
        tool = tools.get(call.name)
        for name, value in call.arguments.items():
            schema = tool.properties.get(name, {}) if tool is not None else {}
            if isinstance(schema, dict) and ("enum" in schema or schema.get("type") == "boolean"):
                continue  # a choice from a closed set may be implied by wording
            if not _supported(value, context):
                issues.append(f"unsupported_value:{call.name}.{name}")
    calls = draft.gold_calls()
    signatures = [c.signature() for c in calls]
    if len(set(signatures)) != len(signatures):
        issues.append("duplicate_calls")
    return issues


def ground_truth(calls: Sequence[ToolCall], tools: Sequence[Tool]) -> GroundTruth:
    """BFCL possible-answer form: each given argument -> [value]; each optional argument left out
    -> ["", default] (``""`` marks it may be omitted)."""
    by_name = {t.name: t for t in tools}
    out: list[dict[str, dict[str, list[Any]]]] = []
    for call in calls:
        allowed: dict[str, list[Any]] = {k: [v] for k, v in call.arguments.items()}
        tool = by_name.get(call.name)
        if tool is not None:
            for pname, schema in tool.properties.items():
                if pname in allowed or pname in tool.required:
                    continue
                options: list[Any] = [""]
                if isinstance(schema, dict) and "default" in schema and schema["default"] is not None:
                    options.append(schema["default"])
                allowed[pname] = options
        out.append({call.name: allowed})
    return GroundTruth(calls=out)


class RuleChecker:
    """The rule checks of ``xlam.verify`` (undefined functions/arguments, types, enums,
    constraints, repeated calls, truncated text...) over a draft in record form."""

    def __init__(self) -> None:
        from xlam.verify import Verifier, VerifyConfig

        self.verifier = Verifier(VerifyConfig(stages=["rules"], autofix=False))

    def issues(self, records: Sequence[Record]) -> list[list[str]]:
        verdicts = self.verifier.verify_batch(list(records))
        return [[f"rules:{i.code}:{i.field}" for i in v.errors] for v in verdicts]


def judge_check(records: Sequence[Record], judge: Any, *, max_tokens: int = 256) -> list[list[str]]:
    """The LLM judge of ``xlam.verify`` (APIGen's semantic checker); one list of issues per record."""
    from xlam.verify import judge_records

    results = judge_records(list(records), judge, max_tokens=max_tokens)
    return [[] if r.passed else [f"judge:{r.error or 'fail'}:{r.reason[:160]}"] for r in results]


__all__ = ["STAGES", "Outcome", "RuleChecker", "call_issues", "execution_check", "format_check", "ground_truth",
           "judge_check", "semantic_rule_check"]
