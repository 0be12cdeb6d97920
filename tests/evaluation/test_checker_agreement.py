"""Our BFCL checker agrees 100% with bfcl-eval's own checker (imported from the installed package).

For every entry of every single-turn category we check the gold answer and systematic corruptions
of it (wrong name, missing/extra/undeclared-optional/wrong-typed/wrong-valued arguments, int for
float, bool for int, reordered/dropped/duplicated parallel calls, string normalisation cases,
alternative allowed values, dict and list variants) with both checkers and require identical
verdicts: same ``valid`` and same ``error_type``.

bfcl-eval is installed without its dependencies: its ``constants.model_config`` module imports every
model handler (and their SDKs), so the test registers a one-entry replacement for that module before
importing the checker (the checker only reads ``underscore_to_dot`` from it), and stands in for the
tree-sitter Java/JS *parsers* that the Python decoder module imports but never calls for Python.
"""

from __future__ import annotations

import copy
import sys
import types
from collections import Counter
from typing import Any

import pytest

from tests.evaluation.bfcl_cases import corruptions, gold_calls
from xlam.bfcl.checker import check, language_of
from xlam.bfcl.data import load_possible_answers, load_questions
from xlam.formats import FormatParseError, bfcl_decode_python, render_python_call
from xlam.records import ToolCall

MODEL = "xlam/agreement"
AST_CATEGORIES = [
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
]
RELEVANCE_CATEGORIES = ["irrelevance", "live_irrelevance", "live_relevance"]


@pytest.fixture(scope="module")
def official() -> types.SimpleNamespace:
    config = types.ModuleType("bfcl_eval.constants.model_config")
    config.MODEL_CONFIG_MAPPING = {MODEL: types.SimpleNamespace(underscore_to_dot=False)}  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("bfcl_eval.constants.model_config",)}
    sys.modules["bfcl_eval.constants.model_config"] = config
    for name in ("bfcl_eval.model_handler.parser.java_parser", "bfcl_eval.model_handler.parser.js_parser"):
        if name not in sys.modules:
            parser = types.ModuleType(name)
            parser.parse_java_function_call = parser.parse_javascript_function_call = None  # type: ignore[attr-defined]
            sys.modules[name] = parser
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    from bfcl_eval.model_handler.utils import default_decode_ast_prompting
    from bfcl_eval.utils import is_empty_output, is_function_calling_format_output

    yield types.SimpleNamespace(
        ast_checker=ast_checker,
        Language=Language,
        decode=default_decode_ast_prompting,
        is_empty_output=is_empty_output,
        is_format=is_function_calling_format_output,
    )
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)


def _official_verdict(official: types.SimpleNamespace, category: str, entry: dict[str, Any], answer: Any, output: Any) -> tuple[Any, ...]:
    if not official.is_format(output):
        return (False, "ast_decoder:decoder_wrong_output_format", ())
    try:
        result = official.ast_checker(
            entry["function"], output, answer, official.Language(language_of(category)), category, MODEL
        )
    except Exception as exc:
        return ("exception", type(exc).__name__)
    if result["valid"]:
        return (True, None)
    return (False, result["error_type"], _sub_error_types(result["error"]))


def _sub_error_types(errors: list[Any]) -> tuple[str, ...]:
    """Per-candidate error types that the order-free parallel matcher reports."""
    return tuple(v["sub_error_type"] for item in errors if isinstance(item, dict) for v in item.values())


def _our_verdict(category: str, entry: dict[str, Any], answer: Any, output: Any) -> tuple[Any, ...]:
    try:
        verdict = check(category, output, entry, answer)
    except Exception as exc:
        return ("exception", type(exc).__name__)
    if verdict.valid:
        return (True, None)
    return (False, verdict.error_type, _sub_error_types(verdict.errors))


@pytest.mark.parametrize("category", AST_CATEGORIES)
def test_ast_verdicts_identical(official: types.SimpleNamespace, category: str) -> None:
    questions = load_questions(category)
    answers = load_possible_answers(category)
    assert len(answers) == len(questions)
    language = language_of(category)
    mismatches: list[tuple[str, str, Any, Any]] = []
    error_types: Counter[Any] = Counter()
    gold_valid = checked = 0
    for entry in questions:
        answer = answers[entry["id"]]
        gold = gold_calls(entry, answer, language)
        for label, output in corruptions(entry, answer, gold):
            theirs = _official_verdict(official, category, entry, answer, copy.deepcopy(output))
            ours = _our_verdict(category, entry, answer, copy.deepcopy(output))
            checked += 1
            error_types.update([ours[1], *(ours[2] if len(ours) > 2 else ())])
            if label == "gold" and ours[0] is True:
                gold_valid += 1
            if theirs != ours:
                mismatches.append((entry["id"], label, theirs, ours))
    assert not mismatches, f"{len(mismatches)}/{checked} verdicts differ, e.g. {mismatches[:5]}"
    # The test is not vacuous: gold answers mostly pass, and corruptions hit many error types.
    assert gold_valid >= 0.9 * len(questions), (gold_valid, len(questions))
    assert len(error_types) >= 6, error_types


@pytest.mark.parametrize("category", RELEVANCE_CATEGORIES)
def test_relevance_verdicts_identical(official: types.SimpleNamespace, category: str) -> None:
    texts = ["", "I cannot answer that.", "[]", "[f()]", "[f(a=1)]", "f(a=1, b='x')", "[{}]", "[f(a=lambda x: x)]", "None"]
    decoded_outputs: list[Any] = [[], [{}], [{"f": {}}], [{"f": {"a": 1}}], ["text"], "text", [{"f": 1}]]
    for entry in load_questions(category):
        names = [f["name"] for f in entry["function"]]
        outputs = decoded_outputs + [[{n: {}}] for n in names[:2]]
        for output in outputs:
            theirs_call = not official.is_empty_output(output)
            expected_valid = (not theirs_call) if "irrelevance" in category else theirs_call
            assert check(category, output, entry).valid is expected_valid, (entry["id"], output)
        for text in texts:
            try:
                theirs_call = not official.is_empty_output(official.decode(text))
            except Exception:
                theirs_call = False
            try:
                ours_call = check("live_relevance", bfcl_decode_python(text), entry).valid is not False
            except FormatParseError:
                ours_call = False
            assert ours_call == theirs_call, (entry["id"], text)


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple"])
def test_python_decoder_identical(official: types.SimpleNamespace, category: str) -> None:
    """Our Python call-list decoder gives what BFCL's gives on rendered gold and corrupted answers."""
    questions, answers = load_questions(category), load_possible_answers(category)
    compared = 0
    for entry in questions:
        answer = answers[entry["id"]]
        cases = list(corruptions(entry, answer, gold_calls(entry, answer, "python")))
        for _label, output in cases[:: max(1, len(cases) // 6)]:  # a spread sample: decoding is slow-ish
            if not official.is_format(output):
                continue
            try:
                text = "[" + ", ".join(render_python_call(ToolCall(name=n, arguments=a)) for c in output for n, a in c.items()) + "]"
            except ValueError:
                continue
            for variant in (text, f"```\n{text[1:-1]}\n```"):
                try:
                    theirs: Any = official.decode(variant)
                except Exception as exc:
                    theirs = type(exc).__name__
                try:
                    ours: Any = bfcl_decode_python(variant)
                except FormatParseError:
                    ours = "failed"
                assert (ours == "failed") == isinstance(theirs, str), (variant, theirs, ours)
                if ours != "failed":
                    assert ours == theirs and repr(ours) == repr(theirs), (variant, theirs, ours)
                compared += 1
    assert compared > len(questions)
