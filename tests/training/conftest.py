"""Fixtures for training tests: real tokenizer, real tool-calling records written as a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xlam.records import Record, Rejected, Step, Tool, ToolCall

CITIES = ["Paris", "Rome", "Oslo", "Lima", "Kyoto", "Quito"]


def make_records(n: int, *, multi_turn: bool = False) -> list[Record]:
    """Tool-calling trajectories: a parallel call step with observations, then an answer; each with
    a rejected (refusal) alternative for the last turn."""
    weather = Tool(
        name="get_weather", description="Current weather for a city",
        parameters={"type": "object", "properties": {"city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]},
    )
    add = Tool(name="add", description="Add two integers",
               parameters={"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                           "required": ["a", "b"]})
    out = []
    for i in range(n):
        city = CITIES[i % len(CITIES)]
        steps = [Step(thought=f"I need the weather in {city} and a sum.",
                      tool_calls=[ToolCall(name="get_weather", arguments={"city": city}),
                                  ToolCall(name="add", arguments={"a": i, "b": i + 1})],
                      observations=[{"temp": 20 + i % 5}, {"sum": 2 * i + 1}],
                      user_input="And in Fahrenheit?" if multi_turn else "")]
        if multi_turn:
            steps.append(Step(thought="Convert.", tool_calls=[ToolCall(name="get_weather",
                              arguments={"city": city, "unit": "f"})], observations=[{"temp": 68}]))
        out.append(Record(
            id=f"rec-{i}", source="test", tools=[weather, add], task_instruction="You are a helpful agent.",
            query=f"What is the weather in {city}? Also add {i} and {i + 1}.", steps=steps,
            answer=f"It is {20 + i % 5} degrees in {city}; {i} + {i + 1} = {2 * i + 1}.",
            rejected=Rejected(step=Step(response=f"Sorry, I cannot check the weather in {city}."),
                              reason="refusal", kind="refusal"),
        ))
    return out


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    from xlam.training.models import load_tokenizer
    from xlam.training.recipes import get_recipe

    return load_tokenizer(get_recipe("tiny"))


@pytest.fixture(scope="session")
def dataset_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    from xlam.datasets import write_records

    path: Path = tmp_path_factory.mktemp("train-data") / "ds"
    write_records(str(path), make_records(24), source="test")
    return str(path)


@pytest.fixture
def process_group() -> Any:
    """Destroys the process group a test's Trainer started (the next Trainer starts its own)."""
    yield
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()
