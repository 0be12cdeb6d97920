"""General chat import: OpenAI and ShareGPT rows -> CHAT records, with the quality filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlam.datasets import read_records
from xlam.errors import RecordError
from xlam.general import ChatImportConfig, repetition_ratio, run_import_chat
from xlam.records import Category, record_to_messages

ROWS = [
    {"messages": [{"role": "system", "content": "You are concise."},
                  {"role": "user", "content": "What is the capital of France?"},
                  {"role": "assistant", "content": "Paris is the capital of France."},
                  {"role": "user", "content": "And of Italy?"},
                  {"role": "assistant", "content": "Rome is the capital of Italy."}]},
    {"conversations": [{"from": "human", "value": "Write a haiku about autumn."},
                       {"from": "gpt", "value": "Crimson leaves drifting, whispers of the cooling wind, the year exhales."}]},
    {"messages": [{"role": "user", "content": "Tell me a story."},
                  {"role": "assistant", "content": " ".join(["the cat sat on the mat"] * 8)}]},
    {"messages": [{"role": "user", "content": "Hello there, anyone home?"}, {"role": "assistant", "content": "  "}]},
    {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
    {"messages": [{"role": "user", "content": "What's the weather in Paris today?"},
                  {"role": "assistant", "content": None, "tool_calls": [
                      {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}]}]},
    {"messages": [{"role": "user", "content": "Please repeat after me, twice."},
                  {"role": "assistant", "content": "Sure, I will repeat it."},
                  {"role": "user", "content": "Please repeat after me, twice."},
                  {"role": "assistant", "content": "Sure, I will repeat it."}]},
    {"messages": [{"role": "assistant", "content": "I speak first, which is not a valid conversation."}]},
    {"messages": [{"role": "system", "content": "You are concise."},
                  {"role": "user", "content": "What is the capital of France?"},
                  {"role": "assistant", "content": "Paris is the capital of France."},
                  {"role": "user", "content": "And of Italy?"},
                  {"role": "assistant", "content": "Rome is the capital of Italy."}]},
]


def _write(path: Path, rows: list[object], extra: str = "") -> str:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n" + extra)
    return str(path)


def test_filters_and_outputs_chat_records(tmp_path: Path) -> None:
    src = _write(tmp_path / "chat.jsonl", ROWS, extra="{not json\n")
    report = run_import_chat([src], str(tmp_path / "out"), ChatImportConfig(), rejects_uri=str(tmp_path / "rej"))
    assert report.counts == {"kept": 2, "repetition": 1, "empty_turn": 1, "too_short": 1, "has_tools": 1,
                             "repeated_turns": 1, "bad_roles": 1, "duplicate": 1, "malformed": 1}
    records = list(read_records(str(tmp_path / "out")))
    assert [r.category for r in records] == [Category.CHAT, Category.CHAT]
    first = records[0]
    assert first.task_instruction == "You are concise." and first.query == "What is the capital of France?"
    assert [m.role for m in record_to_messages(first)] == ["system", "user", "assistant", "user", "assistant"]
    assert records[1].answer and records[1].answer.startswith("Crimson")
    assert first.provenance.source_location == f"{src}:1"
    rejected = {r.meta["rejected_reason"] for r in read_records(str(tmp_path / "rej"))}
    assert rejected == {"repetition", "empty_turn", "too_short", "has_tools", "repeated_turns", "bad_roles", "duplicate"}


def test_malformed_rows_fail_with_location_when_asked(tmp_path: Path) -> None:
    src = _write(tmp_path / "bad.jsonl", [ROWS[0], {"text": "no messages"}])
    with pytest.raises(RecordError) as info:
        run_import_chat(src, str(tmp_path / "out"), ChatImportConfig(on_error="fail"))
    assert info.value.line == 2 and "messages" in info.value.reason
    assert not (tmp_path / "out").exists()


def test_repetition_ratio() -> None:
    assert repetition_ratio("a b c d e f g") == 0.0
    assert repetition_ratio("a b c a b c a b c", n=3) == pytest.approx(4 / 7)
