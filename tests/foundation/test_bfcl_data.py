"""BFCL v4 data loading on the real files of the bfcl-eval package."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlam.bfcl import data as bfcl
from xlam.errors import RecordError

# v4 sizes (docs/DATA_FORMAT.md; xlam-reference §8.1)
EXPECTED_COUNTS = {
    "simple_python": 400, "simple_java": 100, "simple_javascript": 50, "multiple": 200, "parallel": 200,
    "parallel_multiple": 200, "irrelevance": 240, "live_simple": 258, "live_multiple": 1053,
    "live_parallel": 16, "live_parallel_multiple": 24, "live_irrelevance": 884, "live_relevance": 16,
    "multi_turn_base": 200, "multi_turn_miss_func": 200, "multi_turn_miss_param": 200,
    "multi_turn_long_context": 200,
}


def test_categories_and_counts(bfcl_dir: Path) -> None:
    assert set(bfcl.BFCL_CATEGORIES) == set(EXPECTED_COUNTS)
    for category, count in EXPECTED_COUNTS.items():
        questions = bfcl.load_questions(category)
        assert len(questions) == count, category
        assert bfcl.question_file(category) == bfcl_dir / f"BFCL_v4_{category}.json"
        answers = bfcl.load_possible_answers(category, bfcl_dir)
        if category in bfcl.NO_ANSWER_CATEGORIES:
            assert answers == {}
        else:
            assert set(answers) == {q["id"] for q in questions}, category


def test_language_and_category_of_id() -> None:
    assert bfcl.category_language("simple_java") == "java"
    assert bfcl.category_language("simple_javascript") == "javascript"
    assert bfcl.category_language("live_multiple") == "python"
    assert bfcl.category_of_id("live_parallel_multiple_3-1-0") == "live_parallel_multiple"
    assert bfcl.category_of_id("parallel_multiple_10") == "parallel_multiple"
    assert bfcl.category_of_id("multi_turn_miss_param_7") == "multi_turn_miss_param"
    with pytest.raises(ValueError):
        bfcl.question_file("web_search_v9")


def test_function_docs_of_multi_turn_classes() -> None:
    docs = bfcl.load_function_docs(["GorillaFileSystem", "TwitterAPI"])
    names = [d["name"] for d in docs]
    assert {"cd", "mv", "grep", "post_tweet"} <= set(names)
    with pytest.raises(ValueError, match="unknown BFCL multi-turn class"):
        bfcl.load_function_docs(["NoSuchAPI"])


def test_bad_line_reports_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "BFCL_v4_simple_python.json").write_text('{"id": "simple_python_0"}\n{broken\n')
    with pytest.raises(RecordError) as info:
        bfcl.load_questions("simple_python", tmp_path)
    assert info.value.line == 2
    assert info.value.path.endswith("BFCL_v4_simple_python.json")
