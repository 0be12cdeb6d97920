"""The LLM user simulator over real HTTP: an OpenAI-compatible endpoint rewrites user turns; rewrites
that keep every value are used, the others fall back to the template text, and every dialogue still
passes grounding and replay."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.synthesis.chat_server import reply, serve
from xlam.datasets import read_records
from xlam.generators import GeneratorConfig
from xlam.synthesis.multi_turn import MultiTurnConfig, check_trajectory, run_multi_turn_synthesis


class _Rephraser(BaseHTTPRequestHandler):
    """Every third request loses the values (a vague rewrite); the others prefix the message."""

    counter = itertools.count()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        prompt = body["messages"][-1]["content"]
        message = re.search(r"Message: (.*)\Z", prompt, re.S).group(1)  # type: ignore[union-attr]
        index = next(self.counter)
        text = "I need some help with my account." if index % 3 == 2 else f"So, here's my request: {message}"
        reply(self, index, text, "rephraser")


@pytest.fixture()
def endpoint() -> Iterator[str]:
    with serve(_Rephraser) as url:
        yield url


def test_llm_rephrased_user_turns_keep_every_value(endpoint: str, tmp_path: Path) -> None:
    gen = GeneratorConfig(backend="openai", model="rephraser", base_url=endpoint, api_key_env=None, max_retries=0)
    report = run_multi_turn_synthesis(str(tmp_path / "o"), MultiTurnConfig(n=12, seed=5, generator=gen, batch_size=6,
                                                                          user_deviation_rate=0.0),
                                      report_dir=tmp_path / "rep")
    stats = report.groups["llm_rephrasing"]
    assert stats["rephrased"] > 0 and stats["kept_template"] > 0  # vague rewrites lose values: template kept
    records = list(read_records(str(tmp_path / "o")))
    assert len(records) == 12
    users = [t for r in records for t in [r.query, *(s.user_input for s in r.steps if s.user_input)]]
    rewritten = sum(u.startswith("So, here's my request:") for u in users)
    vague = sum(u == "I need some help with my account." for u in users)  # only where the turn had no value
    assert rewritten > 0 and rewritten + vague == sum(r.provenance.extra["rephrased_turns"] for r in records)
    assert stats["rephrased"] >= rewritten + vague  # (the last batch's surplus dialogues are counted too)
    for record in records:
        assert record.provenance.generator == "openai:rephraser"
        assert check_trajectory(record).ok
