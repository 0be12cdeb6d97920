"""Accuracy call by call (xlam.evaluation.call_accuracy) on BFCL's own files: gold answers get every call
right, and each corruption costs exactly the calls it breaks, whatever the item's verdict."""

from __future__ import annotations

import copy
from typing import Any

from tests.evaluation.bfcl_cases import _wrong_value, gold_calls
from xlam.bfcl.checker import check
from xlam.bfcl.data import load_entries
from xlam.evaluation.call_accuracy import call_accuracy, matched_calls

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple")


def _load() -> tuple[dict[str, Any], dict[str, Any]]:
    return load_entries(CATEGORIES)


def _accepted(questions: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The entries whose gold calls BFCL's checker accepts (two parallel_multiple entries' possible answers
    cannot be met by any call: parallel_multiple_12 and _26)."""
    out = {i: q for i, q in questions.items()
           if check(i.rsplit("_", 1)[0], gold_calls(q, answers[i], "python"), q, answers[i]).valid}
    assert len(questions) - len(out) <= 2
    return out


def _items(questions: dict[str, Any], answers: dict[str, Any], change: Any = None) -> list[dict[str, Any]]:
    out = []
    for entry_id, question in questions.items():
        decoded = gold_calls(question, answers[entry_id], "python")
        out.append({"id": entry_id, "category": entry_id.rsplit("_", 1)[0],
                    "decoded": change(decoded) if change else decoded})
    return out


def test_gold_answers_get_every_call_right() -> None:
    questions, answers = _load()
    questions = _accepted(questions, answers)
    table = call_accuracy(_items(questions, answers), questions, answers)
    assert set(table) == set(CATEGORIES)
    for category, row in table.items():
        assert row.right == row.calls == sum(len(answers[i]) for i in questions if i.rsplit("_", 1)[0] == category)
        assert row.count_right == row.items and row.rate == 1.0
    assert table["parallel_multiple"].calls > 590 and table["simple_python"].items == 400


def test_each_corruption_costs_the_calls_it_breaks() -> None:
    questions, answers = _load()
    questions = _accepted(questions, answers)
    dropped = call_accuracy(_items(questions, answers, lambda calls: calls[1:]), questions, answers)
    for category in CATEGORIES:
        items = dropped[category].items
        assert dropped[category].right == dropped[category].calls - items  # one gold call lost per item
        assert dropped[category].count_right == 0
    # one wrong argument in the first call of each parallel_multiple item: that call lost, the others kept,
    # although BFCL's checker fails every such item
    lost = 0
    for entry_id, question in questions.items():
        if not entry_id.startswith("parallel_multiple"):
            continue
        calls = gold_calls(question, answers[entry_id], "python")
        broken = copy.deepcopy(calls)
        ((name, args),) = broken[0].items()
        if not args:
            continue
        param = next(iter(args))
        broken[0][name][param] = _wrong_value(args[param])
        right = matched_calls(question["function"], broken, answers[entry_id])
        if not check("parallel_multiple", broken, question, answers[entry_id]).valid:
            lost += 1
            assert right == len(calls) - 1, entry_id
    assert lost >= 150


def test_a_repeated_call_counts_once_and_prose_gets_none() -> None:
    questions, answers = _load()
    entry_id = next(i for i in questions if i.startswith("parallel_") and not i.startswith("parallel_multiple")
                    and len({str(a) for a in answers[i]}) == len(answers[i]) >= 2)
    calls = gold_calls(questions[entry_id], answers[entry_id], "python")
    functions = questions[entry_id]["function"]
    assert matched_calls(functions, [calls[0]] * len(calls), answers[entry_id]) == 1
    assert matched_calls(functions, "None of the available tools can do that.", answers[entry_id]) == 0
    assert matched_calls(functions, None, answers[entry_id]) == 0


def test_single_turn_call_items_leave_out_the_rows_without_call_answers() -> None:
    from xlam.evaluation.results import single_turn_call_items

    rows = [{"category": c} for c in ("simple_python", "live_multiple", "parallel", "irrelevance", "live_irrelevance",
                                      "multi_turn_base", "memory_kv", "format_sensitivity")]
    assert [r["category"] for r in single_turn_call_items(rows)] == ["simple_python", "live_multiple", "parallel"]
