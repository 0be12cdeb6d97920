"""Every converter on its fixture file: shapes, contents, export round-trips and error locations."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from unittest import mock

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlam.converters import CONVERTERS, SourceItem, base, get_converter, iter_json_items
from xlam.errors import RecordError
from xlam.records import Category, Record

from .conftest import convert_file


def by_id(records: list[Record]) -> dict[str, Record]:
    return {r.id: r for r in records}


def test_registry() -> None:
    assert set(CONVERTERS) == {"apigen", "apigen_mt", "bfcl", "openai", "sharegpt", "toolbench", "react", "actionstudio"}
    for name, converter in CONVERTERS.items():
        assert converter.name == name and converter.description
        module = __import__(type(converter).__module__, fromlist=["_"])
        assert "::\n" in (module.__doc__ or ""), f"{name}: the module docstring must show a sample"
    with pytest.raises(ValueError, match="unknown source format 'nope'"):
        get_converter("nope")


def test_every_fixture_record_converts(fixture_records: dict[str, list[Record]], sources_dir: Path) -> None:
    for name, records in fixture_records.items():
        lines = [line for line in (sources_dir / f"{name}.jsonl").read_text().splitlines() if line.strip()]
        assert len(records) == len(lines) >= 3, name
        assert len({r.id for r in records}) == len(records)
        for record in records:
            assert record.source == name
            assert record.provenance.source_location.startswith(str(sources_dir / f"{name}.jsonl") + ":")
            for call in record.all_calls():
                assert record.tool(call.name) is not None, (name, record.id, call.name)


def test_apigen(fixture_records: dict[str, list[Record]]) -> None:
    recs = by_id(fixture_records["apigen"])
    assert recs["apigen-0"].inferred_category() == Category.PARALLEL
    assert recs["apigen-1"].inferred_category() == Category.MULTIPLE
    assert recs["apigen-2"].inferred_category() == Category.PARALLEL_MULTIPLE
    weather, fx = recs["apigen-2"].tools
    assert fx.required == ["amount", "src", "dst"] and "unit" not in weather.required
    assert weather.properties["unit"]["x-xlam-type"] == "str, optional"
    avg = recs["apigen-4"].tool("average")
    assert avg is not None and avg.properties["numbers"]["items"] == {"type": "number"}
    assert recs["apigen-3"].steps[0].tool_calls[0].arguments == {"dict1": {"a": 1, "b": 2}, "dict2": {"b": 3, "c": 4}}


def test_openai(fixture_records: dict[str, list[Record]]) -> None:
    recs = by_id(fixture_records["openai"])
    single = recs["oa-single"]
    assert single.task_instruction == "You are a weather assistant."
    assert single.steps[0].tool_calls[0].arguments == {"city": "Paris"}
    assert single.steps[0].observations == ['{"temp_c": 18, "sky": "cloudy"}']
    assert single.answer == "It is 18 °C and cloudy in Paris."
    parallel = recs["oa-parallel"]
    assert parallel.steps[0].thought == "I'll check both cities." and len(parallel.steps[0].tool_calls) == 2
    clarify = recs["oa-clarify"]
    assert clarify.steps[0].response.startswith("For how many") and clarify.steps[0].user_input == "Four of us, at 19:30."
    assert recs["oa-irrelevant"].inferred_category() == Category.IRRELEVANCE
    assert recs["oa-multi-turn"].inferred_category() == Category.MULTI_TURN


def test_sharegpt(fixture_records: dict[str, list[Record]]) -> None:
    records = fixture_records["sharegpt"]
    tip = records[0]
    assert tip.task_instruction.startswith("You are a helpful assistant with access to the following functions")
    assert "calculate_tip" not in tip.task_instruction
    assert [t.name for t in tip.tools] == ["calculate_tip"]
    call = tip.steps[0].tool_calls[0]
    assert call.name == "calculate_tip" and call.arguments == {"bill_amount": 50, "tip_percentage": 20}
    assert tip.steps[0].observations == [{"tip_amount": 10}]
    assert tip.steps[1].response.startswith("The tip amount") and tip.steps[1].user_input == "Great, thanks!"
    assert tip.answer is not None and tip.answer.startswith("You're welcome")
    assert [t.name for t in records[1].tools] == ["calculate_tip", "get_news"]
    assert records[1].inferred_category() == Category.IRRELEVANCE
    assert records[2].steps[0].response.startswith("Sure, which country") and records[2].steps[0].user_input
    sg = records[3]
    assert sg.id == "sg-sharegpt-1" and sg.steps[0].tool_calls[0].arguments == {"country": "Japan"}
    assert sg.steps[0].observations == [{"headlines": ["Nikkei hits record"]}]


def test_toolbench(fixture_records: dict[str, list[Record]]) -> None:
    btc, search, capital = fixture_records["toolbench"]
    assert capital.steps[1].tool_calls[0].arguments == {"latitude": 38.72, "longitude": -9.13}
    assert capital.steps[1].observations[0]["response"].startswith("{'current_weather'")
    assert [t.name for t in btc.tools] == ["get_coins_for_coinranking", "get_coin_price_for_coinranking"]
    assert btc.task_instruction.startswith("You are AutoGPT") and "Specifically" not in btc.task_instruction
    assert btc.query == "I'm a crypto enthusiast and I want the current price of Bitcoin."
    assert [s.tool_calls[0].arguments for s in btc.steps if s.tool_calls] == [{"symbols": "BTC"}, {"uuid": "Qwsogvtv82FCd"}]
    assert btc.steps[0].thought.startswith("I need Bitcoin's uuid") and btc.steps[0].observations[0]["error"] == ""
    assert btc.answer == "Bitcoin currently trades at about $43,125.22." and btc.meta["finish"] == "give_answer"
    assert btc.inferred_category() == Category.MULTI_STEP
    assert search.answer is None and search.meta["finish"] == "give_up_and_restart"
    assert search.steps[0].tool_calls[0].arguments == {"q": "latest Python release", "limit": 3}


def test_react(fixture_records: dict[str, list[Record]]) -> None:
    hotpot, hotpot2, webshop = fixture_records["react"]
    assert hotpot.answer == "yes" and hotpot.query.startswith("Were Scott Derrickson")
    assert [s.tool_calls[0].arguments for s in hotpot.steps if s.tool_calls] == [
        {"entity": "Scott Derrickson"}, {"entity": "Ed Wood"}]
    assert hotpot.steps[0].thought.startswith("I need to search") and "American director" in hotpot.steps[0].observations[0]
    assert hotpot.steps[-1].thought.startswith("Ed Wood is also American") and not hotpot.steps[-1].tool_calls
    assert {t.name for t in hotpot2.tools} == {"search", "lookup"}
    assert hotpot2.answer == "1,800 to 7,000 ft"
    assert webshop.query.startswith("Instruction: i need a long clip-in hair extension")
    calls = [s.tool_calls[0] for s in webshop.steps]
    assert [(c.name, c.arguments) for c in calls] == [
        ("search", {"query": "long clip-in hair extension natural looking"}),
        ("click", {"target": "B09QQLDJ93"}), ("click", {"target": "Buy Now"})]
    assert webshop.steps[1].thought.startswith("B09QQLDJ93 is a long")  # think[...] is a thought
    assert "Your score: 0.75" in webshop.steps[-1].observations[0]


def test_actionstudio(fixture_records: dict[str, list[Record]]) -> None:
    recs = by_id(fixture_records["actionstudio"])
    parallel = recs["toolace-00017"]
    assert parallel.inferred_category() == Category.PARALLEL
    assert parallel.steps[0].observations == [[{"name": "stock_quote", "results": {"price": 189.2}}], '{"price": 411.0}']
    assert parallel.rejected is not None and parallel.rejected.step.tool_calls[0].arguments == {"ticker": "AAPL"}
    assert recs["iqa-00421"].steps[0].user_input == "'The market closed higher today.'"
    greeting = recs["invocation_greeting-00003"]
    assert greeting.rejected is not None and greeting.rejected.step.tool_calls[0].arguments == {"symbol": "HELLO"}


@pytest.mark.parametrize("name", ["openai", "actionstudio", "apigen"])
def test_export_round_trip(name: str, sources_dir: Path) -> None:
    converter = get_converter(name)
    for item in iter_json_items(sources_dir / f"{name}.jsonl"):
        record = converter.convert_item(item)[0]
        exported = converter.export(record)
        again = converter.convert_item(SourceItem("exported", 1, exported))[0]
        assert again.model_dump(exclude={"provenance"}) == record.model_dump(exclude={"provenance"})
        assert converter.export(again) == exported


def test_openai_export_is_the_source_conversation(sources_dir: Path) -> None:
    converter = get_converter("openai")
    for item in iter_json_items(sources_dir / "openai.jsonl"):
        exported = converter.export(converter.convert_item(item)[0])
        for got, want in zip(exported["messages"], item.value["messages"], strict=True):
            assert got["role"] == want["role"] and got.get("content") == want.get("content")
            for g, w in zip(got.get("tool_calls", []), want.get("tool_calls", []), strict=True):
                assert g["id"] == w["id"] and g["function"]["name"] == w["function"]["name"]
                assert orjson.loads(g["function"]["arguments"]) == orjson.loads(w["function"]["arguments"])
        assert exported["tools"] == item.value["tools"]


BAD_ROWS = [
    ("apigen", {"query": "q", "tools": "[]", "answers": '[{"arguments": {}}]'}, "answers[0].name"),
    ("apigen", {"query": "q", "tools": "{not json", "answers": "[]"}, "tools"),
    ("apigen", {"tools": "[]", "answers": "[]"}, "query"),
    ("openai", {"messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]}, "messages[1]"),
    ("openai", {"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    ("openai", {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": "{bad"}}]}]}, "messages[1]"),
    ("actionstudio", {"task_instruction": "t", "conversation": [{"role": "user", "content": "x"},
                                                               {"role": "tool", "content": "y"}]}, "conversation[1]"),
    ("sharegpt", {"system": "SYSTEM: none", "chat": "USER: hi\n\n\nASSISTANT: <functioncall> {oops} <|endoftext|>"},
     "chat[1]"),
    ("toolbench", {"conversations": [{"from": "user", "value": "q"}, {"from": "assistant",
                                     "value": "Thought: t\nAction: f\nAction Input: {nope"}]}, "conversations[1].value"),
    ("react", {"question": "q", "trajectory": "Thought 1: hmm\nAction 1: search for it"}, "trajectory (line 2)"),
    ("bfcl", {"id": "simple_python_0", "question": [[{"role": "user", "content": "x"}]], "function": [{"description": "d"}]},
     "function[0].name"),
]


@pytest.mark.parametrize(("source", "row", "field"), BAD_ROWS)
def test_bad_input_names_file_line_and_field(source: str, row: dict[str, object], field: str, tmp_path: Path) -> None:
    path = tmp_path / f"{source}.jsonl"
    path.write_bytes(b"\n" + orjson.dumps(row) + b"\n")  # record on line 2
    converter = get_converter(source)
    with pytest.raises(RecordError) as info:
        for item in iter_json_items(path):
            converter.convert_item(SourceItem(item.path, item.line, item.value, {"ground_truth": [], "category": None}
                                              if source == "bfcl" else {}))
    err = info.value
    assert (err.path, err.line, err.field) == (str(path), 2, field), err
    assert err.reason


def test_json_array_files_are_read(tmp_path: Path, sources_dir: Path) -> None:
    rows = [orjson.loads(line) for line in (sources_dir / "actionstudio.jsonl").read_bytes().splitlines()]
    path = tmp_path / "train.json"
    path.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))
    records = convert_file("actionstudio", path)
    assert [r.id for r in records] == [row["unique_trajectory_id"] for row in rows]
    assert records[1].provenance.source_location == f"{path}:2"


json_leaf = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=20)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                                                   max_size=4), max_leaves=10)


@settings(max_examples=80, deadline=None)
@given(st.lists(json_value, max_size=12), st.sampled_from([None, 2]), st.sampled_from([5, 17, 64]))
def test_json_array_files_stream_across_chunk_boundaries(values: list[object], indent: int | None, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.json"
        path.write_text(json.dumps(values, indent=indent, ensure_ascii=False), encoding="utf-8")
        with mock.patch.object(base, "_CHUNK", chunk):
            items = list(iter_json_items(path))
    assert [i.value for i in items] == values and [i.line for i in items] == list(range(1, len(values) + 1))


@pytest.mark.parametrize(("text", "line"), [('[{"a": 1}, {"b": }]', 2), ('[{"a": 1}, {"b": 2}', 3), ("[1, 2 3]", 3)])
def test_bad_json_array_names_the_element(tmp_path: Path, text: str, line: int) -> None:
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(RecordError) as info:
        list(iter_json_items(tmp_path / "bad.json"))
    assert info.value.line == line
