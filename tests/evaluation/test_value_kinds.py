"""Which BFCL items need a large number, a written one, or an apostrophe (xlam.evaluation.value_kinds), on BFCL's
own files, and the accuracy table over scored items."""

from __future__ import annotations

from xlam.bfcl.data import load_entries
from xlam.evaluation.value_kinds import kind_accuracy, value_kinds

NON_LIVE = ("simple_python", "multiple", "parallel", "parallel_multiple")


def test_the_kinds_of_bfcl_items() -> None:
    questions, answers = load_entries(["simple_python"])

    def kinds(entry_id: str) -> set[str]:
        return value_kinds(questions[entry_id], answers[entry_id])

    # "the population is 213 million and the land area is 8.5 million square kilometers"
    brazil = next(i for i, q in questions.items() if "Population Density for Brazil" in str(q["question"]))
    assert kinds(brazil) == {"large", "written"}
    email = next(i for i, q in questions.items() if "Let's meet at 10 AM tomorrow" in str(q["question"]))
    assert kinds(email) == {"apostrophe"}
    assert kinds(next(i for i, q in questions.items() if "prime factors of the number 123456" in str(q["question"]))) \
        == {"large"}  # 123456 written as digits
    assert value_kinds({"question": "the year 2020"}, [{"f": {"year": [2020]}}]) == set()
    assert value_kinds({"question": "in 2020"}, [{"f": {"start": [2020]}}]) == {"large"}  # not a year parameter


def test_counts_over_the_non_live_call_items_and_the_table() -> None:
    questions, answers = load_entries(NON_LIVE)
    counts = {"large": 0, "written": 0, "apostrophe": 0}
    for entry_id, question in questions.items():
        for kind in value_kinds(question, answers[entry_id]):
            counts[kind] += 1
    assert counts == {"large": 128, "written": 24, "apostrophe": 6}  # docs/QUALITY.md, run 10
    items = [{"id": i, "valid": "large" in value_kinds(q, answers[i])} for i, q in questions.items()]
    items.append({"id": "live_relevance_0-0-0", "valid": True})  # no gold calls: not counted
    table = kind_accuracy(items, questions, answers)
    assert table["all"] == (1000, 128) and table["large"] == (128, 128)
    assert table["written"] == (24, 24) and table["apostrophe"][0] == 6
