"""Whole-valued `number` arguments written as ints (the query says 378, the call must not say 378.0)."""

from __future__ import annotations

import re
from pathlib import Path

from xlam.datasets import read_records
from xlam.formats import get_format
from xlam.preference.checker import check_step
from xlam.records import Record, Step, Tool, ToolCall
from xlam.synthesis.config import SynthesisConfig
from xlam.synthesis.numbers import whole_numbers_as_int
from xlam.synthesis.runner import run_synthesis


def _record(arguments: dict) -> Record:
    tool = Tool(name="area", description="Area.", parameters={"type": "object", "properties": {
        "length": {"type": "number"}, "sides": {"type": "array", "items": {"type": "number"}}}})
    return Record(id="r1", source="t", query="q", tools=[tool],
                  steps=[Step(tool_calls=[ToolCall(name="area", arguments=arguments)])])


def test_integral_floats_become_ints_and_the_rest_is_kept() -> None:
    record = _record({"length": 378.0, "sides": [2.0, 2.5], "name": "x", "flag": True})
    fixed = whole_numbers_as_int(record)
    args = fixed.steps[0].tool_calls[0].arguments
    assert args == {"length": 378, "sides": [2.0, 2.5], "name": "x", "flag": True}
    # list elements stay floats: BFCL's nested type check rejects an int inside a list of `number`
    assert type(args["length"]) is int and type(args["sides"][0]) is float and args["flag"] is True
    assert type(record.steps[0].tool_calls[0].arguments["length"]) is float  # the input is not modified
    untouched = _record({"length": 3.5})
    assert whole_numbers_as_int(untouched) is untouched


def _whole_floats(records: list[Record]) -> int:
    """Whole-valued float arguments at the top level of calls (list elements are not counted)."""
    return sum(1 for r in records for s in r.steps for c in s.tool_calls or [] for v in c.arguments.values()
               if isinstance(v, float) and v.is_integer())


def test_synthesis_writes_whole_numbers_as_the_query_says_them(tmp_path: Path) -> None:
    base = {"n": 60, "seed": 3, "styles": ["simple", "parallel"]}
    run_synthesis(None, str(tmp_path / "float"), SynthesisConfig.model_validate(base))
    run_synthesis(None, str(tmp_path / "int"), SynthesisConfig.model_validate({**base, "whole_numbers": "int"}))
    as_float = list(read_records(str(tmp_path / "float")))
    as_int = list(read_records(str(tmp_path / "int")))
    assert _whole_floats(as_float) > 0 and _whole_floats(as_int) == 0  # the default keeps today's data
    assert [r.query for r in as_float] == [r.query for r in as_int]  # same samples, same wording
    rendered = " ".join(get_format("python_calls").render(s) for r in as_int for s in r.steps if s.tool_calls)
    assert not re.search(r"=-?\d+\.0[,)]", rendered)  # no `length=378.0` at the top level


def test_every_record_passes_the_bfcl_checker_on_its_own_answer(tmp_path: Path) -> None:
    """With `whole_numbers: int` every synthesized record's gold answer passes BFCL's checker (the one that
    scores models), lists of numbers included (before the fix, `[12.4, 93, 18.8]` failed its nested type
    check in 8% of fc-smol's records)."""
    config = {"n": 80, "seed": 5, "styles": ["simple", "multiple", "parallel", "parallel_multiple"],
              "whole_numbers": "int", "tools": "default+domains"}
    run_synthesis(None, str(tmp_path / "out"), SynthesisConfig.model_validate(config))
    records = list(read_records(str(tmp_path / "out")))
    lists = [v for r in records for s in r.steps for c in s.tool_calls for v in c.arguments.values()
             if isinstance(v, list) and v and all(isinstance(x, float) for x in v)]
    assert len(records) == 80 and lists  # number lists are there, as floats
    failed = [(r.id, check_step(r, r.steps[0]).error_type) for r in records if not check_step(r, r.steps[0]).valid]
    assert failed == []
