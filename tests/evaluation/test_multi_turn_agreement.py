"""Our multi-turn checker agrees 100% with bfcl-eval's own ``multi_turn_checker`` (imported from the
installed package), and our step decoding with BFCL's ``default_decode_execute_prompting``.

For the first entries of each of the four multi-turn categories we build the gold trajectory (all
calls of a turn in one step, and one call per step) and systematic corruptions of it (a call dropped,
an extra call, a wrong argument value, two calls swapped, a call to a function that does not exist,
an empty turn, calls moved to the previous turn, the holdout function called in the turn where it is
missing) and require identical verdicts: ``valid``, ``error_type``, and the differing attributes or
missing results. BFCL keeps its environment instances in module globals keyed by model name and
entry id, so every official check gets its own model name and its instances are dropped after it.
"""

from __future__ import annotations

import ast
import copy
import itertools
from collections import Counter
from typing import Any

import pytest

from xlam.bfcl.data import MULTI_TURN_CATEGORIES, load_possible_answers, load_questions
from xlam.bfcl.multi_turn import decode_step
from xlam.bfcl.multi_turn_checker import check_multi_turn

#: Entries per category in the quick test; the slow test checks all 200 of each (~23k trajectories).
QUICK_ENTRIES = 40
_counter = itertools.count()


@pytest.fixture(scope="module")
def official() -> Any:
    from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_checker, multi_turn_utils

    return multi_turn_checker, multi_turn_utils


def _official_verdict(official: Any, decoded: list[list[list[str]]], gold: list[list[str]], entry: dict[str, Any], category: str) -> tuple[Any, ...]:
    checker, utils = official
    model = f"xlam_agree_{next(_counter)}"
    try:
        result = checker.multi_turn_checker(copy.deepcopy(decoded), gold, entry, category, model)
    except Exception as exc:
        return ("exception", type(exc).__name__)
    finally:
        for name in [n for n in vars(utils) if n.startswith(model + "_")]:
            delattr(utils, name)
    return _summary(result["valid"], result.get("error_type"), result.get("details", {}))


def _our_verdict(decoded: list[list[list[str]]], gold: list[list[str]], entry: dict[str, Any], category: str) -> tuple[Any, ...]:
    try:
        verdict = check_multi_turn(copy.deepcopy(decoded), gold, entry, category)
    except Exception as exc:
        return ("exception", type(exc).__name__)
    details = verdict.errors[1] if len(verdict.errors) > 1 else {}
    return _summary(verdict.valid, verdict.error_type, details)


def _summary(valid: bool, error_type: str | None, details: dict[str, Any]) -> tuple[Any, ...]:
    if valid:
        return (True, None)
    return (False, error_type, tuple(sorted(details.get("differences", {}))), tuple(details.get("missing_items", ())))


def _wrong_arg(call: str) -> str | None:
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call)
    values = [kw.value for kw in node.keywords] + list(node.args)
    for value in values:
        if isinstance(value, ast.Constant) and not isinstance(value.value, bool) and isinstance(value.value, (str, int, float)):
            value.value = value.value + ("_x" if isinstance(value.value, str) else 1)
            return ast.unparse(node)
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            value.value = not value.value
            return ast.unparse(node)
    return None


def _rename(call: str, name: str) -> str:
    return name + call[call.index("(") :]


def trajectories(gold: list[list[str]], entry: dict[str, Any]) -> list[tuple[str, list[list[list[str]]]]]:
    one_step = [[list(t)] if t else [] for t in gold]
    out = [("gold", one_step), ("gold_call_per_step", [[[c] for c in t] for t in gold])]
    with_calls = [i for i, t in enumerate(gold) if t]
    for t in sorted({with_calls[0], with_calls[-1], with_calls[len(with_calls) // 2]}):
        calls = gold[t]

        def variant(label: str, new_calls: list[str] | None, turn: int = t) -> None:
            traj = copy.deepcopy(one_step)
            traj[turn] = [new_calls] if new_calls else []
            out.append((f"{label}@{turn}", traj))

        variant("drop_first", calls[1:])
        variant("drop_last", calls[:-1])
        variant("extra_repeat_last", [*calls, calls[-1]])
        variant("extra_repeat_first", [*calls, calls[0]])
        wrong = _wrong_arg(calls[0])
        if wrong:
            variant("wrong_arg_first", [wrong, *calls[1:]])
        wrong = _wrong_arg(calls[-1])
        if wrong:
            variant("wrong_arg_last", [*calls[:-1], wrong])
        if len(calls) >= 2 and calls[0] != calls[1]:
            variant("swap_first_two", [calls[1], calls[0], *calls[2:]])
        if len(calls) >= 2:
            variant("reversed", list(reversed(calls)))
        variant("missing_function", [*calls[:-1], _rename(calls[-1], "undefined_function_xyz")])
        variant("empty_turn", None)
        if t > 0:
            traj = copy.deepcopy(one_step)
            traj[t - 1] = [*traj[t - 1], list(calls)]
            traj[t] = []
            out.append((f"moved_to_previous@{t}", traj))
    for t, calls in enumerate(gold):  # act on a turn whose ground truth is empty (e.g. the holdout function)
        if not calls and t + 1 < len(gold) and gold[t + 1]:
            traj = copy.deepcopy(one_step)
            traj[t] = [list(gold[t + 1])]
            out.append((f"act_on_empty_turn@{t}", traj))
            traj = copy.deepcopy(traj)
            traj[t + 1] = []
            out.append((f"act_early@{t}", traj))
    return out


@pytest.mark.parametrize("category", MULTI_TURN_CATEGORIES)
def test_multi_turn_verdicts_identical(official: Any, category: str) -> None:
    _compare_category(official, category, QUICK_ENTRIES)


@pytest.mark.slow
@pytest.mark.parametrize("category", MULTI_TURN_CATEGORIES)
def test_multi_turn_verdicts_identical_all_entries(official: Any, category: str) -> None:
    _compare_category(official, category, None)


def _compare_category(official: Any, category: str, limit: int | None) -> None:
    questions = load_questions(category)[:limit]
    answers = load_possible_answers(category)
    mismatches, checked, gold_valid = [], 0, 0
    outcomes: Counter[Any] = Counter()
    for entry in questions:
        gold = answers[entry["id"]]
        for label, decoded in trajectories(gold, entry):
            theirs = _official_verdict(official, decoded, gold, entry, category)
            ours = _our_verdict(decoded, gold, entry, category)
            checked += 1
            outcomes[(label.split("@")[0], ours[1])] += 1
            gold_valid += label == "gold" and ours[0] is True
            if theirs != ours:
                mismatches.append((entry["id"], label, theirs, ours))
    assert not mismatches, f"{len(mismatches)}/{checked} verdicts differ, e.g. {mismatches[:3]}"
    # Not vacuous: gold passes, corruptions fail with each of BFCL's multi-turn error types.
    assert gold_valid == len(questions), gold_valid
    error_types = {e for (_, e) in outcomes if e}
    assert {"multi_turn:empty_turn_model_response", "multi_turn:instance_state_mismatch"} <= error_types, outcomes
    print(f"{category}: {checked} trajectories, identical verdicts; {dict(Counter(e for (_, e) in outcomes.elements()))}")


def test_step_decoding_identical() -> None:
    """Prompt-mode step decoding equals BFCL's ``default_decode_execute_prompting`` (gold calls,
    nested calls, dicts, code fences, prose)."""
    import sys
    import types

    for name in ("bfcl_eval.model_handler.parser.java_parser", "bfcl_eval.model_handler.parser.js_parser"):
        if name not in sys.modules:
            parser = types.ModuleType(name)
            parser.parse_java_function_call = parser.parse_javascript_function_call = None  # type: ignore[attr-defined]
            sys.modules[name] = parser
    from bfcl_eval.model_handler.utils import default_decode_execute_prompting

    texts = ["[cd(folder='document'), mkdir(dir_name='temp')]", "ls(a=True)", "```\n[ls()]\n```", "[]", "I am done.",
             "[f(x={'a': 1, 'b': [1, 2]})]", "[f(x=g(y=1))]", "[f(x={})]", "[f(x=-1.5, y=None, z=(1, 2))]", "[sort('a.txt')]",
             "[post_tweet(content='hi (there)', tags=['#a'])]", "[f(x=1), g(", "[f(x=lambda: 1)]"]
    for category in MULTI_TURN_CATEGORIES:
        for gold in list(load_possible_answers(category).values())[:40]:
            texts += ["[" + ", ".join(turn) + "]" for turn in gold if turn]
    compared = 0
    for text in texts:
        try:
            theirs: Any = default_decode_execute_prompting(text)
        except Exception:
            theirs = "failed"
        try:
            ours: Any = decode_step(text, "prompt")
        except Exception:
            ours = "failed"
        assert ours == theirs, (text, theirs, ours)
        compared += 1
    assert compared > 100


def _stub_tree_sitter_parsers() -> None:
    import sys
    import types

    for name in ("bfcl_eval.model_handler.parser.java_parser", "bfcl_eval.model_handler.parser.js_parser"):
        if name not in sys.modules:
            parser = types.ModuleType(name)
            parser.parse_java_function_call = parser.parse_javascript_function_call = None  # type: ignore[attr-defined]
            sys.modules[name] = parser


@pytest.mark.parametrize("category", [*MULTI_TURN_CATEGORIES, "memory_kv", "memory_rec_sum", pytest.param("memory_vector", marks=pytest.mark.slow)])
def test_prepared_entries_and_prompts_identical(category: str, tmp_path: Any) -> None:
    """Functions, holdout functions, memory prerequisites and dependencies, and the prompt-mode and
    memory system prompts equal what bfcl_eval builds (``load_dataset_entry``,
    ``system_prompt_pre_processing_chat_model``, ``add_memory_instruction_system_prompt``)."""
    _stub_tree_sitter_parsers()
    from bfcl_eval.model_handler.utils import (
        add_memory_instruction_system_prompt,
        system_prompt_pre_processing_chat_model,
    )
    from bfcl_eval.utils import load_dataset_entry

    from xlam.bfcl.memory import (
        add_memory_prompt,
        memory_entries,
        memory_initial_config,
        memory_system_prompt,
    )
    from xlam.bfcl.multi_turn import Environment, prepare_entry
    from xlam.evaluation.multi_turn import _with_system_prompt

    theirs = {e["id"]: e for e in load_dataset_entry(category)}
    if category.startswith("memory"):
        prereqs, questions = memory_entries(category)
        ours = {e["id"]: e for e in prereqs + questions}
    else:
        ours = {e["id"]: e for e in load_questions(category)}
    assert set(ours) == set(theirs)
    for entry_id, raw in ours.items():
        mine, gold = prepare_entry(raw), theirs[entry_id]
        assert mine["function"] == gold["function"], entry_id
        assert mine.get("missed_function") == gold.get("missed_function"), entry_id
        assert mine["question"] == gold["question"], entry_id
        assert mine.get("depends_on") == gold.get("depends_on"), entry_id
        assert mine["involved_classes"] == gold["involved_classes"], entry_id
        first = copy.deepcopy(mine["question"][0])
        if category.startswith("memory"):
            config = memory_initial_config(mine, category, tmp_path)
            instance = next(iter(Environment(mine["involved_classes"], config).instances.values()))
            expected = add_memory_instruction_system_prompt(copy.deepcopy(gold["question"]), category, gold["scenario"], instance)[0]
            first = add_memory_prompt(first, memory_system_prompt(category, mine["scenario"], instance))
            assert first == expected, entry_id
        expected = system_prompt_pre_processing_chat_model(copy.deepcopy(first), gold["function"], entry_id)
        assert _with_system_prompt(first, mine["function"]) == expected, entry_id
