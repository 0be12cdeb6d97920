"""LLM-backed synthesis over real HTTP: an OpenAI-compatible endpoint whose replies follow a
script (valid pair, prose, hallucinated function, failing execution, unsupported value), so every
check stage is exercised and counted in the APIGen Table 1 funnel."""

from __future__ import annotations

import itertools
import json
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.synthesis.chat_server import reply, serve
from xlam.datasets import read_records
from xlam.generators import GeneratorConfig
from xlam.synthesis import SynthesisConfig, run_synthesis

SCRIPT = [
    '```json\n{"query": "Please divide 6 by 3.", "answers": [{"name": "safe_divide", "arguments": {"a": 6, "b": 3}}]}\n```',
    "Sure! Dividing six by three gives two.",
    '{"query": "Divide 6 by 3.", "answers": [{"name": "divide_numbers", "arguments": {"a": 6, "b": 3}}]}',
    '{"query": "What is 6 divided by 0?", "answers": [{"name": "safe_divide", "arguments": {"a": 6, "b": 0}}]}',
    '{"query": "Divide 9 by 3.", "answers": [{"name": "safe_divide", "arguments": {"a": 6, "b": 3}}]}',
]


class _Scripted(BaseHTTPRequestHandler):
    counter = itertools.count()
    prompts: list[str] = []
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with self.lock:
            index = next(self.counter)
            self.prompts.append(body["messages"][-1]["content"])
        text = SCRIPT[index % len(SCRIPT)]
        reply(self, index, text, body.get("model", "scripted"))


@pytest.fixture()
def endpoint() -> Iterator[str]:
    with serve(_Scripted) as url:
        yield url


def test_openai_generator_through_all_check_stages(endpoint: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "div_tools.py").write_text(textwrap.dedent('''
        def safe_divide(a: float, b: float) -> float:
            """Divide one number by another.

            Args:
                a: The dividend.
                b: The divisor.
            """
            return a / b
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    config = SynthesisConfig(
        n=10, max_attempts=10, batch_size=5, styles=["simple"], seed_examples=1,
        generator=GeneratorConfig(backend="openai", base_url=endpoint, model="scripted", max_concurrency=1),
    )
    report = run_synthesis("module:div_tools", str(tmp_path / "out"), config, rejects_uri=str(tmp_path / "rej"))
    funnel = report.groups["funnel:openai:scripted"]
    # the scripted valid pair comes twice: the second copy is rejected as a duplicate query
    assert funnel == {"generated": 10, "verified": 1, "failed_format": 4, "failed_execution": 2, "failed_semantic": 3}
    assert report.counts["semantic:duplicate_query"] == 1
    assert report.counts["format:unparseable"] == 2
    assert report.counts["format:undefined_function"] == 2
    assert report.counts["execution:exception:ZeroDivisionError"] == 2
    assert report.counts["semantic:unsupported_value"] == 2
    verified = list(read_records(str(tmp_path / "out")))
    assert {r.provenance.generator for r in verified} == {"openai:scripted"}
    assert all(r.steps[0].observations == [2.0] for r in verified)
    rejects = list(read_records(str(tmp_path / "rej")))
    assert any("ZeroDivisionError" in " ".join(r.meta["reasons"]) for r in rejects)
    assert any(r.meta.get("raw", "").startswith("Sure!") for r in rejects)
    # the first batch had no seeds; after a verified pair the prompts carry seed examples
    assert "Examples of the output format" not in _Scripted.prompts[0]
    assert any("Examples of the output format" in p and "Please divide 6 by 3." in p for p in _Scripted.prompts[5:])
