"""Helpers shared by the control-plane tests (test modules import these, never each other)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.services.conftest import wait_for
from xlam.records import Record, Step, Tool, ToolCall


def sample_records(n: int = 3) -> list[Record]:
    tool = Tool(name="get_weather", description="Weather for a city",
                parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    return [Record(id=f"r{i}", source="test", query=f"weather in city {i}?", tools=[tool],
                   steps=[Step(tool_calls=[ToolCall(name="get_weather", arguments={"city": f"c{i}"})])])
            for i in range(n)]


def data_pipeline_spec(bfcl_dir: Path, categories: list[str] | None = None, copies: int = 1, *,
                       unify_only: bool = False, **unify: Any) -> dict[str, Any]:
    spec = {"source": "bfcl", "inputs": [str(bfcl_dir)] * copies, "output_name": f"bfcl-{uuid.uuid4().hex[:6]}",
            "unify": {"categories": categories, **unify}}
    if unify_only:  # the crash/cancel/duplicate tests: unify alone in one process (verify, dedup skipped)
        spec.update(verify=None, dedup=None, engine="direct")
    return spec


def get_run(client: Any, p: str, h: dict[str, str], run_id: str) -> dict[str, Any]:
    return client.get(f"/v1/projects/{p}/runs/{run_id}", headers=h).json()  # type: ignore[no-any-return]


def wait_state(client: Any, p: str, h: dict[str, str], run_id: str, states: tuple[str, ...],
               timeout: float = 60) -> dict[str, Any]:
    return wait_for(lambda: (r := get_run(client, p, h, run_id))["state"] in states and r, timeout)  # type: ignore[no-any-return]
