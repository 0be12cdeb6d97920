"""BFCL AST checker for every single-turn category (our implementation of BFCL v4's rules).

Entry point: :func:`check` takes decoded calls (``[{name: {param: value}}]`` as BFCL's decoders
produce, or :class:`~xlam.records.ToolCall` objects), the question entry (its ``function`` docs)
and the possible answer (``[{name: {param: [allowed values]}}]``) and returns a :class:`Verdict`.
Error types are BFCL's own strings (``simple_function_checker:wrong_func_name``,
``type_error:simple``, ``value_error:string``, ``parallel_function_checker_no_order:wrong_count``...),
so results can be compared with official score files. The rules (see docs/EVAL.md) are those of
``bfcl_eval/eval_checker/ast_eval/ast_checker.py``, including its quirks: nested types are checked
one level deep, an int is accepted for a float (Python only), strings are compared after
normalisation, a parameter absent from the possible answer is "unexpected", and a parallel answer is
matched greedily in ground-truth order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from xlam.bfcl.type_converters import (
    JAVA_TYPE_CONVERSION,
    JS_TYPE_CONVERSION,
    java_type_converter,
    js_type_converter,
)
from xlam.records import ToolCall

PYTHON_TYPE_MAPPING: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
_PYTHON_NESTED = ("array", "tuple")
_JAVA_JS_NESTED = ("Array", "ArrayList", "array")
RELEVANCE_CATEGORIES = ("irrelevance", "live_irrelevance", "live_relevance")


class Verdict(BaseModel):
    """Outcome of checking one answer: ``error_type`` is BFCL's name for the first failed rule."""

    valid: bool
    error_type: str | None = None
    errors: list[Any] = Field(default_factory=list)


def _fail(error_type: str, *errors: Any) -> Verdict:
    return Verdict(valid=False, error_type=error_type, errors=list(errors))


_OK = Verdict(valid=True)


# ------------------------------------------------------------------------------ decoded shape
def to_bfcl_calls(calls: Sequence[ToolCall | Mapping[str, Any]]) -> list[Any]:
    """Decoded calls in BFCL's shape ``[{name: {param: value}}]`` (dicts pass through unchanged)."""
    return [{c.name: dict(c.arguments)} if isinstance(c, ToolCall) else c for c in calls]


def is_function_calling_format(decoded: Any) -> bool:
    """BFCL's format gate: a list of single-key dicts whose value is a dict (``[]`` passes)."""
    return isinstance(decoded, list) and all(
        type(item) is dict and len(item) == 1 and type(next(iter(item.values()))) is dict for item in decoded
    )


def is_empty_output(decoded: Any) -> bool:
    """No call: not in function-call format, ``[]`` or ``[{}]`` (BFCL's relevance patch)."""
    if not is_function_calling_format(decoded):
        return True
    return len(decoded) == 0 or (len(decoded) == 1 and len(decoded[0]) == 0)


# ------------------------------------------------------------------------------- value checks
def standardize_string(text: str) -> str:
    """Drop spaces and ``,./-_*^``, lowercase, and turn ``'`` into ``"``."""
    return re.sub(r"[ \,\.\/\-\_\*\^]", "", text).lower().replace("'", '"')


def _std(value: Any) -> Any:
    return standardize_string(value) if type(value) is str else value


def _answer_type(allowed: list[Any]) -> type | None:
    return next((type(a) for a in allowed if a != ""), None)


def _type_check(param: str, value: Any, allowed: Any, type_desc: str, expected: type, nested: type | None) -> tuple[Verdict, bool]:
    """(verdict, is_variable). A value of the possible answers' type is accepted as a "variable"."""
    answer_type = _answer_type(allowed)
    is_variable = answer_type is not None and answer_type != expected
    error_type = "type_error:simple"
    errors: list[Any] = []
    if type(value) is expected:
        if nested is None:
            return _OK, is_variable
        items: Any = value
        for candidate in allowed:
            if type(candidate) is list and any(
                not _type_check(param, item, candidate, str(nested), nested, None)[0].valid for item in items
            ):
                continue
            return _OK, is_variable
        errors = [f"Nested type checking failed for parameter {param!r}. Expected outer type {type_desc} with inner type {nested}."]
        error_type = "type_error:nested"
    if answer_type is not None and type(value) is answer_type:
        # BFCL returns its running result here: valid unless the nested check above failed.
        return (_fail(error_type, *errors) if errors else _OK), True
    errors.append(f"Incorrect type for parameter {param!r}. Expected type {type_desc}, got {type(value).__name__}.")
    return _fail("type_error:simple", *errors), False


def _string_check(param: str, value: str, allowed: list[Any]) -> Verdict:
    if standardize_string(value) not in [standardize_string(a) for a in allowed if type(a) is str]:
        return _fail("value_error:string", f"Invalid value for parameter {param!r}: {value!r}. Expected one of {allowed}.")
    return _OK


def _list_check(param: str, value: list[Any], allowed: list[Any]) -> Verdict:
    model = [_std(v) for v in value]
    if model not in [[_std(v) for v in candidate] for candidate in allowed]:
        return _fail("value_error:list/tuple", f"Invalid value for parameter {param!r}: {value!r}. Expected one of {allowed}.")
    return _OK


def _dict_check(value: dict[Any, Any], allowed: list[Any]) -> Verdict:
    result = _fail("dict_checker:unclear")
    for candidate in allowed:
        if candidate == "":
            continue
        result = _fail("dict_checker:unclear")
        ok = True
        for key, item in value.items():
            if key not in candidate:
                result, ok = _fail("value_error:dict_key", f"Unexpected dict key parameter: {key!r}."), False
                break
            if _std(item) not in [_std(a) for a in candidate[key]]:
                result, ok = _fail("value_error:dict_value", f"Invalid value for parameter {key!r}: {item!r}."), False
                break
        for key, options in candidate.items():
            if key not in value and "" not in options:
                result, ok = _fail("value_error:dict_key", f"Missing dict key parameter: {key!r}."), False
                break
        if ok:
            return _OK
    return result


def _list_of_dicts_check(value: list[Any], allowed: list[Any]) -> Verdict:
    result = _fail("list_dict_checker:unclear")
    for candidate in allowed:
        if len(value) != len(candidate):
            result = _fail("value_error:list_dict_count", "Wrong number of dictionaries in the list.")
            continue
        ok = True
        for item, expected in zip(value, candidate, strict=True):
            result = _dict_check(item, [expected])
            if not result.valid:
                ok = False
                break
        if ok:
            return _OK
    return result


# ----------------------------------------------------------------------------- call checkers
def _convert(language: str, param: str, value: Any, type_desc: str, details: Mapping[str, Any]) -> tuple[Any, type, type | None, Verdict | None]:
    """Language-specific conversion: (value, expected type, nested type, failure)."""
    if language == "python":
        expected = PYTHON_TYPE_MAPPING[type_desc]
        nested = PYTHON_TYPE_MAPPING[details["items"]["type"]] if type_desc in _PYTHON_NESTED else None
        return value, expected, nested, None
    table, convert, tag = (
        (JAVA_TYPE_CONVERSION, java_type_converter, "java") if language == "java" else (JS_TYPE_CONVERSION, js_type_converter, "js")
    )
    expected = table[type_desc]  # KeyError on unknown types, as in BFCL
    if type(value) is not str:
        msg = f"Incorrect type for parameter {param!r}. Expected type String, got {type(value).__name__}."
        return value, expected, None, _fail(f"type_error:{tag}", msg)
    if type_desc in _JAVA_JS_NESTED:
        nested_name = details["items"]["type"]
        return convert(value, type_desc, nested_name), expected, table[nested_name], None
    return convert(value, type_desc), expected, None, None


def check_call(function_doc: Mapping[str, Any], call: Mapping[str, Any], expected: Mapping[str, Any], language: str = "python", *, underscore_to_dot: bool = False) -> Verdict:
    """One decoded call ``{name: {param: value}}`` against one expected ``{name: {param: [allowed]}}``."""
    allowed_by_param: Mapping[str, list[Any]] = next(iter(expected.values()))
    name = function_doc["name"]
    if underscore_to_dot and "." in name:
        name = name.replace(".", "_")
    properties = function_doc["parameters"]["properties"]
    if name not in call:
        return _fail("simple_function_checker:wrong_func_name", f"Function name {name!r} not found in model output.")
    arguments = call[name]
    for param in function_doc["parameters"]["required"]:
        if param not in arguments:
            return _fail("simple_function_checker:missing_required", f"Missing required parameter: {param!r}.")
    for param, raw_value in arguments.items():
        if param not in properties or param not in allowed_by_param:
            return _fail("simple_function_checker:unexpected_param", f"Unexpected parameter: {param!r}.")
        details = properties[param]
        type_desc = details["type"]
        allowed = allowed_by_param[param]
        value, expected_type, nested, failure = _convert(language, param, raw_value, type_desc, details)
        if failure is not None:
            return failure
        if type_desc == "tuple" and type(value) is tuple:
            value = list(value)
        if language == "python" and type_desc == "float" and type(value) is int:
            value = float(value)
        type_verdict, is_variable = _type_check(param, value, allowed, type_desc, expected_type, nested)
        if not type_verdict.valid:
            return type_verdict
        if not is_variable:
            if expected_type is dict:
                verdict = _dict_check(value, allowed)
            elif expected_type is list and nested is dict:
                verdict = _list_of_dicts_check(value, allowed)
            elif expected_type is str:
                verdict = _string_check(param, value, allowed)
            elif expected_type is list:
                verdict = _list_check(param, value, allowed)
            else:
                verdict = _OK if value in allowed else _fail(
                    "value_error:others", f"Invalid value for parameter {param!r}: {value!r}. Expected one of {allowed}."
                )
            if not verdict.valid:
                return verdict
            continue
        if value not in allowed:
            return _fail("value_error:others", f"Invalid value for parameter {param!r}: {value!r}. Expected one of {allowed}.")
    for param, allowed in allowed_by_param.items():
        if param not in arguments and "" not in allowed:
            return _fail("simple_function_checker:missing_optional", f"Optional parameter {param!r} not provided and not marked as optional.")
    return _OK


def _find_doc(docs: Sequence[Mapping[str, Any]] | Mapping[str, Any], name: str) -> Mapping[str, Any]:
    if isinstance(docs, Mapping):
        return docs
    doc = next((d for d in docs if d["name"] == name), None)
    if doc is None:
        raise KeyError(f"function {name!r} of the possible answer is not among the question's functions")
    return doc


def check_parallel(docs: Sequence[Mapping[str, Any]], calls: list[Any], answers: list[Any], language: str, *, underscore_to_dot: bool = False) -> Verdict:
    """Order-free: each expected call, in order, takes the first unmatched model call that passes."""
    if len(calls) != len(answers):
        return _fail("parallel_function_checker_no_order:wrong_count", "Wrong number of functions.")
    matched: set[int] = set()
    for i, answer in enumerate(answers):
        doc = _find_doc(docs, next(iter(answer)))
        sub_errors: list[Any] = []
        found = False
        for index, call in enumerate(calls):
            if index in matched:
                continue
            verdict = check_call(doc, call, answer, language, underscore_to_dot=underscore_to_dot)
            if verdict.valid:
                matched.add(index)
                found = True
                break
            sub_errors.append({f"Model Result Index {index}": {"sub_error": verdict.errors, "sub_error_type": verdict.error_type}})
        if not found:
            remaining = [j for j in range(len(calls)) if j not in matched]
            head = f"Could not find a matching function among index {remaining} of model output for index {i} of possible answers."
            return _fail("parallel_function_checker_no_order:cannot_find_match", head, *sub_errors)
    return _OK


def check_ast(category: str, docs: Sequence[Mapping[str, Any]], calls: list[Any], answers: list[Any], language: str = "python", *, underscore_to_dot: bool = False) -> Verdict:
    """Route by category as BFCL does: ``parallel`` -> order-free, ``multiple`` -> one call, else simple."""
    if "parallel" in category:
        return check_parallel(docs, calls, answers, language, underscore_to_dot=underscore_to_dot)
    if "multiple" in category:
        if len(calls) != len(answers):
            return _fail("multiple_function_checker:wrong_count", "Wrong number of functions.")
        doc = _find_doc(docs, next(iter(answers[0])))
        return check_call(doc, calls[0], answers[0], language, underscore_to_dot=underscore_to_dot)
    if len(calls) != 1:
        return _fail("simple_function_checker:wrong_count", "Wrong number of functions.")
    return check_call(docs[0], calls[0], answers[0], language, underscore_to_dot=underscore_to_dot)


def language_of(category: str) -> str:
    return "java" if category.endswith("java") else "javascript" if category.endswith("javascript") else "python"


def check(category: str, decoded_calls: Sequence[ToolCall | Mapping[str, Any]] | Any, question_entry: Mapping[str, Any], possible_answer: list[Any] | None = None, *, underscore_to_dot: bool = False) -> Verdict:
    """Check successfully decoded calls for one BFCL entry.

    Relevance categories pass on "no call" (irrelevance) or "some call" (live_relevance). Other
    categories first apply BFCL's format gate (``ast_decoder:decoder_wrong_output_format``) and then
    the AST rules. Decoding failures are handled by :func:`xlam.bfcl.scoring.score_output`.
    """
    decoded: Any = to_bfcl_calls(decoded_calls) if isinstance(decoded_calls, list) else decoded_calls
    if category in RELEVANCE_CATEGORIES:
        has_call = not is_empty_output(decoded)
        if "irrelevance" in category:
            return _fail("irrelevance_error:decoder_success", "Valid syntax. Successfully decode AST when it should not.") if has_call else _OK
        return _OK if has_call else _fail("relevance_error:decoder_failed", "Invalid syntax. Failed to decode AST when it should have.")
    if not is_function_calling_format(decoded):
        return _fail("ast_decoder:decoder_wrong_output_format", "Did not output in the specified format.")
    if possible_answer is None:
        raise ValueError(f"category {category!r} needs a possible answer")
    return check_ast(category, question_entry["function"], decoded, possible_answer, language_of(category), underscore_to_dot=underscore_to_dot)
