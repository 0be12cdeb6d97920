"""Word overlap of requests with function docs, and prose answers binned by it, on real BFCL entries and
on records the platform synthesizes."""

from __future__ import annotations

from xlam.bfcl.data import load_possible_answers, load_questions
from xlam.evaluation.overlap import (
    bin_of,
    content_words,
    is_prose,
    prose_by_overlap,
    training_overlap,
    word_overlap,
)
from xlam.synthesis import SynthesisConfig, run_synthesis


def test_content_words_split_names_and_drop_stopwords():
    assert content_words("get_stock_price of the Company") == {"get", "stock", "price", "company"}
    assert word_overlap("What's the stock price of Amazon?", {"name": "get_stock_price", "description": ""}) == 2 / 3
    assert word_overlap("anything", {"name": "", "description": ""}) == 0.0
    assert [bin_of(x) for x in (0.0, 0.09, 0.1, 0.35, 0.4, 1.0)] == [0, 0, 1, 3, 4, 4]


def test_prose_is_an_answer_that_starts_no_call_list():
    assert is_prose({"decoded": None, "raw_output": "None of the available tools can do that."})
    assert not is_prose({"decoded": None, "raw_output": " [calc(temp=298K)]"})  # unparsable, not prose
    assert not is_prose({"decoded": [{"f": {}}], "raw_output": "[f()]"})


def test_prose_by_overlap_on_bfcl_simple_python():
    questions = {q["id"]: q for q in load_questions("simple_python")}
    answers = load_possible_answers("simple_python")
    # simple_python_100: "How much time will it take for the light to reach earth ..." for light_travel_time
    # ("Calculate the time taken for light to travel from a celestial body to another."): few shared words
    low = word_overlap(questions["simple_python_100"]["question"][0][-1]["content"],
                       questions["simple_python_100"]["function"][0])
    assert low < 0.4
    items = [{"id": "simple_python_100", "decoded": None, "raw_output": "None of the tools can.", "valid": False},
             {"id": "simple_python_0", "decoded": [{"x": {}}], "raw_output": "[x()]", "valid": True},
             {"id": "irrelevance_0", "decoded": None, "raw_output": "no", "valid": True}]  # no answers: skipped
    bins = prose_by_overlap(items, questions, answers)
    assert sum(b.items for b in bins) == 2 and sum(b.prose for b in bins) == 1 and sum(b.correct for b in bins) == 1
    assert bins[bin_of(low)].prose == 1


def test_template_requests_repeat_their_tool_description(tmp_path):
    config = SynthesisConfig(n=30, seed=0, style_weights={"simple": 1.0, "irrelevance": 0.5})
    run_synthesis(None, str(tmp_path / "out"), config)
    from xlam.datasets.reader import read_records

    records = list(read_records(str(tmp_path / "out")))
    counts = training_overlap(records)
    calls = sum(1 for r in records if r.steps and r.steps[0].tool_calls)
    assert 0 < sum(counts) == calls < len(records)  # irrelevance samples are not counted
    assert counts[-1] >= 0.9 * calls  # the template copies the description: the shortcut this module measures
