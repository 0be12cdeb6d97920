"""Multi-part requests over two to four tools (``SynthesisConfig.task_rate``). Off by default (queries and
draws unchanged); on, parallel_multiple samples call as many distinct tools as BFCL's category does, say their
parts in order, verify and pass BFCL's own checker."""

from __future__ import annotations

import collections
import random
import re
from pathlib import Path

import pytest

from tests.synthesis.drafting import draft_queries
from xlam.datasets import read_records
from xlam.preference.checker import check_step
from xlam.synthesis import SynthesisConfig, load_tool_library, run_synthesis
from xlam.synthesis.drafts import DraftError, TemplateDrafter
from xlam.synthesis.tasks import MAX_CALLS, task_list_request

STYLES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")


def test_default_is_unchanged_and_not_dumped() -> None:
    default = draft_queries(SynthesisConfig(), STYLES, 120, seed=4)
    assert draft_queries(SynthesisConfig(task_rate=0.0), STYLES, 120, seed=4) == default
    assert "task_rate" not in SynthesisConfig().model_dump(mode="json")
    assert "task_rate" in SynthesisConfig(task_rate=0.5).model_dump(mode="json")
    assert draft_queries(SynthesisConfig(task_rate=1.0), STYLES, 120, seed=4) != default


def _drafts(config: SynthesisConfig, n: int) -> list:
    drafter, rng, out = TemplateDrafter(load_tool_library("default+domains"), config), random.Random(7), []
    for _ in range(n):
        try:
            out.append(drafter.draft("parallel_multiple", rng))
        except DraftError:
            continue
    return out


def test_two_to_four_tools_as_bfcl_and_every_called_tool_offered() -> None:
    before = collections.Counter(len({c.name for c in d.steps[0].tool_calls}) for d in _drafts(SynthesisConfig(), 200))
    assert set(before) == {2}  # without it: always exactly two tools
    drafts = _drafts(SynthesisConfig(task_rate=1.0, optional_rate=0.7), 300)
    assert len(drafts) >= 280
    distinct = collections.Counter(len({c.name for c in d.steps[0].tool_calls}) for d in drafts)
    calls = collections.Counter(len(d.steps[0].tool_calls) for d in drafts)
    assert set(distinct) == {2, 3, 4} and distinct[2] > distinct[3] > distinct[4] >= 10
    assert set(calls) == {2, 3, 4} and min(calls.values()) >= 50  # BFCL: about a third each
    for d in drafts:
        assert {c.name for c in d.steps[0].tool_calls} <= {t.name for t in d.tools}
        assert len(d.steps[0].tool_calls) <= MAX_CALLS and d.extra["task_list"] >= 2


def test_parts_said_in_order() -> None:
    requests = ["Compute the area of a circle of radius 2.", "Please find hotels in Lima.", "What is 3 squared?"]
    forms = collections.Counter()
    for seed in range(60):
        text = task_list_request(requests, random.Random(seed))
        positions = [text.lower().find(r[5:20].lower()) for r in requests]
        assert -1 not in positions and positions == sorted(positions), text
        if re.search(r"(^|\s|\()1[).]", text):
            forms["numbered"] += 1
        elif re.search(r"\b(First|To start),", text):
            forms["ordinal"] += 1
        else:
            forms["plain"] += 1
    assert min(forms.values()) >= 3, forms
    with pytest.raises(ValueError, match="two or more"):
        task_list_request(requests[:1], random.Random(0))


def test_synthesized_task_lists_verify_and_pass_bfcl_checker(tmp_path: Path) -> None:
    config = SynthesisConfig(n=60, seed=3, tools="default+domains", task_rate=1.0, optional_rate=0.7,
                             whole_numbers="int", percent_rate=0.5, intent_rate=0.5, styles=["parallel_multiple"])
    run_synthesis(None, str(tmp_path / "out"), config)
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 60
    assert sum(len({c.name for c in r.steps[0].tool_calls}) >= 3 for r in records) >= 15
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in records if not check_step(r, r.steps[0]).valid]
    assert failed == []
