"""Whole-valued `number` arguments written as ints (the query says 378, the call must not say 378.0)."""

from __future__ import annotations

from pathlib import Path

from xlam.datasets import read_records
from xlam.formats import get_format
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
    assert args == {"length": 378, "sides": [2, 2.5], "name": "x", "flag": True}
    assert type(args["length"]) is int and type(args["sides"][1]) is float and args["flag"] is True
    assert type(record.steps[0].tool_calls[0].arguments["length"]) is float  # the input is not modified
    untouched = _record({"length": 3.5})
    assert whole_numbers_as_int(untouched) is untouched


def _whole_floats(records: list[Record]) -> int:
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
    assert ".0)" not in rendered and ".0," not in rendered
