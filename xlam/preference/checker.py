"""BFCL-style AST check of one assistant step against a record's ground truth.

:func:`check_step` uses EVAL's ``xlam.bfcl.checker.check`` when it is installed, so preference
pairs are verified by the same checker that scores models; otherwise it applies the BFCL AST
rules itself (reference section 8.3): routing by category, exact function names, required and
unexpected parameters, strict types (an int is accepted for a float, never a bool for an int),
normalised string values, exact lists, optional parameters (``""`` in the allowed values),
order-free matching for parallel calls, and "no call" for irrelevance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlam.records import Category, Record, Step, Tool, ToolCall

_PARALLEL = {Category.PARALLEL, Category.PARALLEL_MULTIPLE}
_NO_CALL = {Category.IRRELEVANCE, Category.CLARIFICATION}
_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (float, int),
                                            "boolean": (bool,), "array": (list,), "object": (dict,)}


@dataclass(frozen=True)
class CheckResult:
    valid: bool
    error_type: str = ""
    message: str = ""
    checker: str = "builtin"


def _norm_str(value: str) -> str:
    return re.sub(r"[ ,./\-_*^]", "", value).lower().replace("'", '"')


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return _norm_str(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _type_ok(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind is None or not isinstance(kind, str):
        return True
    if isinstance(value, bool) and kind != "boolean":
        return False
    allowed = _JSON_TYPES.get(kind)
    if allowed is None:
        return True
    if not isinstance(value, allowed):
        return False
    items = schema.get("items")
    if kind == "array" and isinstance(items, dict) and items.get("type") in _JSON_TYPES:
        return all(_type_ok(v, items) for v in list(value))  # type: ignore[call-overload]
    return True


def _value_ok(value: Any, allowed: list[Any]) -> bool:
    candidates = [a for a in allowed if a != ""]
    if isinstance(value, float | int) and not isinstance(value, bool):
        return any(isinstance(a, int | float) and not isinstance(a, bool) and float(a) == float(value)
                   for a in candidates)
    normalised = [_norm(a) for a in candidates]
    return any(_norm(value) == a for a in normalised)


def _simple(call: ToolCall, expected: dict[str, dict[str, list[Any]]], tools: dict[str, Tool]) -> CheckResult:
    (name, allowed), = expected.items()
    if call.name != name:
        return CheckResult(False, "simple_function_checker:wrong_func_name", f"expected {name}, got {call.name}")
    tool = tools.get(name)
    if tool is not None:
        for req in tool.required:
            if req not in call.arguments:
                return CheckResult(False, "simple_function_checker:missing_required", f"missing {req}")
    for arg, value in call.arguments.items():
        if (tool is not None and arg not in tool.properties) or arg not in allowed:
            return CheckResult(False, "simple_function_checker:unexpected_param", f"unexpected {arg}")
        schema = tool.properties.get(arg, {}) if tool is not None else {}
        if isinstance(schema, dict) and not _type_ok(value, schema):
            return CheckResult(False, "type_error:simple", f"{arg}: wrong type {type(value).__name__}")
        if not _value_ok(value, allowed[arg]):
            return CheckResult(False, "value_error:others", f"{arg}: {value!r} not in {allowed[arg]!r}")
    for arg, options in allowed.items():
        if arg not in call.arguments and "" not in options:
            return CheckResult(False, "simple_function_checker:missing_optional", f"missing {arg}")
    return CheckResult(True)


def builtin_check(category: Category, calls: Sequence[ToolCall], expected: Sequence[dict[str, dict[str, list[Any]]]],
                  tools: Sequence[Tool]) -> CheckResult:
    """The BFCL AST rules over calls and possible answers."""
    by_name = {t.name: t for t in tools}
    if category in _NO_CALL:
        return CheckResult(not calls, "" if not calls else "irrelevance:called_a_function")
    if category in _PARALLEL:
        if len(calls) != len(expected):
            return CheckResult(False, "parallel_function_checker_no_order:wrong_count",
                               f"expected {len(expected)} calls, got {len(calls)}")
        unmatched = list(calls)
        for exp in expected:
            match = next((c for c in unmatched if _simple(c, exp, by_name).valid), None)
            if match is None:
                return CheckResult(False, "parallel_function_checker_no_order:cannot_find_match",
                                   f"no call matches {next(iter(exp))}")
            unmatched.remove(match)
        return CheckResult(True)
    if len(calls) != 1 or len(expected) != 1:
        return CheckResult(False, "simple_function_checker:wrong_count", f"expected 1 call, got {len(calls)}")
    return _simple(calls[0], expected[0], by_name)


def _bfcl_category(category: Category) -> str:
    return {Category.SIMPLE: "simple", Category.MULTIPLE: "multiple", Category.PARALLEL: "parallel",
            Category.PARALLEL_MULTIPLE: "parallel_multiple"}.get(category, "irrelevance")


def _eval_checker(record: Record, calls: Sequence[ToolCall], category: Category) -> CheckResult | None:
    """EVAL's checker, when installed (``None`` otherwise)."""
    try:
        from xlam.bfcl import checker as bfcl_checker
    except ImportError:
        return None
    check = getattr(bfcl_checker, "check", None)
    if check is None:
        return None
    entry = {"id": record.id, "question": [[{"role": "user", "content": record.query}]],
             "function": [t.to_bfcl() for t in record.tools]}
    answer = list(record.ground_truth.calls) if record.ground_truth else []
    verdict = check(_bfcl_category(category), list(calls), entry, answer)
    return CheckResult(bool(verdict.valid), str(getattr(verdict, "error_type", "") or ""),
                       "; ".join(map(str, getattr(verdict, "errors", []) or [])), "xlam.bfcl.checker")


def check_step(record: Record, step: Step, *, prefer_eval: bool = True) -> CheckResult:
    """Whether ``step`` (an assistant turn answering ``record.query``) passes the BFCL-style
    checker against ``record.ground_truth``."""
    category = record.inferred_category()
    if category not in _PARALLEL | _NO_CALL | {Category.SIMPLE, Category.MULTIPLE}:
        raise ValueError(f"no BFCL-style check for category {category}")
    if prefer_eval:
        result = _eval_checker(record, step.tool_calls, category)
        if result is not None:
            return result
    expected = record.ground_truth.calls if record.ground_truth else []
    return builtin_check(category, step.tool_calls, expected, record.tools)


__all__ = ["CheckResult", "builtin_check", "check_step"]
