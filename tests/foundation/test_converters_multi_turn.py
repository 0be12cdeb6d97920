"""Multi-turn converters on real-shaped samples: APIGen-MT-5k rows and OpenAI message lists with tool
calls and results across several user turns; exact round trips; bad turns named by file, line, field."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from xlam.converters import SourceItem, UnifyConfig, get_converter, iter_json_items, run_unify
from xlam.errors import RecordError
from xlam.records import Category, Record, record_to_messages

RETAIL_TOOLS = [
    {"name": "find_user_id_by_name_zip", "description": "Find user id by first name, last name, and zip code.",
     "parameters": {"type": "object", "properties": {"first_name": {"type": "string", "description": "The first name."},
                                                     "last_name": {"type": "string"}, "zip": {"type": "string"}},
                    "required": ["first_name", "last_name", "zip"]}},
    {"name": "get_order_details", "description": "Get the status and details of an order.",
     "parameters": {"type": "object", "properties": {"order_id": {"type": "string", "description": "e.g. '#W0000000'."}},
                    "required": ["order_id"]}},
    {"name": "cancel_pending_order", "description": "Cancel a pending order.",
     "parameters": {"type": "object", "properties": {"order_id": {"type": "string"},
                                                     "reason": {"type": "string", "enum": ["no longer needed",
                                                                                           "ordered by mistake"]}},
                    "required": ["order_id", "reason"]}},
]


def apigen_mt_row() -> dict[str, object]:
    """An APIGen-MT-5k row (tau-bench retail style): lookup, clarification, two parallel lookups,
    a write after explicit confirmation, and a closing turn."""
    call = lambda name, **args: json.dumps({"name": name, "arguments": args})  # noqa: E731
    return {
        "system": "# Retail agent policy\nAs a retail agent, you can help users cancel or modify pending orders.\n"
                  "- Before taking consequential actions, obtain explicit user confirmation (yes).",
        "tools": json.dumps(RETAIL_TOOLS),
        "conversations": [
            {"from": "human", "value": "Hi! I'd like to cancel an order. I'm Yusuf Rossi, zip code 19122."},
            {"from": "function_call", "value": call("find_user_id_by_name_zip", first_name="Yusuf", last_name="Rossi",
                                                    zip="19122")},
            {"from": "observation", "value": "yusuf_rossi_9620"},
            {"from": "gpt", "value": "Thanks, Yusuf. Which order would you like to cancel, and why?"},
            {"from": "human", "value": "Either #W2378156 or #W4776164, whichever is still pending. I ordered by mistake."},
            {"from": "gpt", "value": "Let me check both orders."},
            {"from": "function_call", "value": call("get_order_details", order_id="#W2378156")},
            {"from": "function_call", "value": call("get_order_details", order_id="#W4776164")},
            {"from": "observation", "value": '{"order_id": "#W2378156", "status": "delivered", "total": 1021.34}'},
            {"from": "observation", "value": '{"order_id": "#W4776164", "status": "pending", "total": 87.1}'},
            {"from": "gpt", "value": "#W4776164 is pending (total $87.10). Shall I cancel it as 'ordered by mistake'? (yes/no)"},
            {"from": "human", "value": "yes"},
            {"from": "function_call", "value": call("cancel_pending_order", order_id="#W4776164", reason="ordered by mistake")},
            {"from": "observation", "value": '{"order_id": "#W4776164", "status": "cancelled", "refund": 87.1}'},
            {"from": "gpt", "value": "Done: #W4776164 is cancelled and $87.10 will be refunded."},
            {"from": "human", "value": "Great, thanks! ###STOP###"},
            {"from": "gpt", "value": "You're welcome, Yusuf. Have a nice day!"},
        ],
    }


def convert(name: str, row: dict[str, object]) -> Record:
    return get_converter(name).convert_item(SourceItem("sample.json", 7, row))[0]


def test_apigen_mt_row_becomes_a_multi_turn_record() -> None:
    record = convert("apigen_mt", apigen_mt_row())
    assert record.source == "apigen_mt" and record.id.startswith("rec-")
    assert record.task_instruction.startswith("# Retail agent policy")
    assert [t.name for t in record.tools] == [t["name"] for t in RETAIL_TOOLS]
    assert record.tool("cancel_pending_order").properties["reason"]["enum"] == ["no longer needed", "ordered by mistake"]
    assert record.query.startswith("Hi! I'd like to cancel")
    assert record.inferred_category() == Category.MULTI_TURN
    calls = [[c.name for c in s.tool_calls] for s in record.steps if s.tool_calls]
    assert calls == [["find_user_id_by_name_zip"], ["get_order_details", "get_order_details"], ["cancel_pending_order"]]
    parallel = record.steps[2]
    assert parallel.thought == "Let me check both orders."  # the gpt text right before the calls
    assert parallel.observations[1] == '{"order_id": "#W4776164", "status": "pending", "total": 87.1}'  # verbatim
    assert record.steps[0].observations == ["yusuf_rossi_9620"]
    users = [s.user_input for s in record.steps if s.user_input]
    assert users == ["Either #W2378156 or #W4776164, whichever is still pending. I ordered by mistake.", "yes",
                     "Great, thanks! ###STOP###"]
    assert record.answer == "You're welcome, Yusuf. Have a nice day!"
    # the conversation form: tool results as tool messages across 4 user turns
    roles = [m.role for m in record_to_messages(record)]
    assert roles.count("user") == 4 and roles.count("tool") == 4


def test_apigen_mt_round_trip_is_exact() -> None:
    converter = get_converter("apigen_mt")
    row = apigen_mt_row()
    record = convert("apigen_mt", row)
    assert "apigen_mt_raw" not in record.meta  # plain json.dumps strings: nothing to keep aside
    assert converter.export(record) == row
    # strings a plain json.dumps would not reproduce (compact separators, raw non-ASCII) come back byte for byte
    odd = apigen_mt_row()
    odd["tools"] = json.dumps(RETAIL_TOOLS, separators=(",", ":"))
    conv = list(odd["conversations"])  # type: ignore[arg-type]
    conv[1] = {"from": "function_call", "value": json.dumps({"name": "find_user_id_by_name_zip", "arguments": {
        "first_name": "Yusuf", "last_name": "Roßi", "zip": "19122"}}, ensure_ascii=False)}
    odd["conversations"] = conv
    odd["id"] = "mt-odd-1"
    again = convert("apigen_mt", odd)
    assert again.id == "mt-odd-1" and again.steps[0].tool_calls[0].arguments["last_name"] == "Roßi"
    assert set(again.meta["apigen_mt_raw"]) == {"tools", "calls"}
    assert converter.export(again) == odd
    # a changed call is written from its content (the kept raw text no longer matches)
    again.steps[0].tool_calls[0].arguments["zip"] = "10001"
    exported = converter.export(again)
    assert json.loads(exported["conversations"][1]["value"])["arguments"]["zip"] == "10001"


def test_synthesized_dialogue_exports_to_apigen_mt_and_back(tmp_path: Path) -> None:
    from xlam.synthesis.multi_turn import MultiTurnConfig, run_multi_turn_synthesis

    run_multi_turn_synthesis(str(tmp_path / "mt"), MultiTurnConfig(n=12, seed=4))
    from xlam.datasets import read_records

    converter = get_converter("apigen_mt")
    for record in read_records(str(tmp_path / "mt")):
        row = converter.export(record)
        assert isinstance(row["tools"], str) and row["conversations"][0]["from"] == "human"
        back = converter.convert_item(SourceItem("x", 1, json.loads(json.dumps(row))))[0]
        assert [s.tool_calls for s in back.steps] == [s.tool_calls for s in record.steps]
        assert back.answer == record.answer and back.query == record.query
        assert converter.export(back) == row


OPENAI_MT = {
    "id": "oa-mt-1",
    "tools": [{"type": "function", "function": {
        "name": "get_balance", "description": "Balance of an account.",
        "parameters": {"type": "object", "properties": {"account": {"type": "string"}}, "required": ["account"]}}},
        {"type": "function", "function": {
            "name": "transfer", "description": "Move money.",
            "parameters": {"type": "object", "properties": {"src": {"type": "string"}, "dst": {"type": "string"},
                                                            "amount": {"type": "number"}},
                           "required": ["src", "dst", "amount"]}}}],
    "messages": [
        {"role": "system", "content": "You are a bank agent."},
        {"role": "user", "content": "Balances of ACC-1 and ACC-2?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "get_balance", "arguments": "{\"account\": \"ACC-1\"}"}},
            {"id": "call_b", "type": "function", "function": {"name": "get_balance", "arguments": "{\"account\": \"ACC-2\"}"}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "{\"balance\": 120.0}"},
        {"role": "tool", "tool_call_id": "call_b", "content": "{\"balance\": 5.5}"},
        {"role": "assistant", "content": "ACC-1 has $120.00, ACC-2 has $5.50."},
        {"role": "user", "content": "Move 20 from ACC-1 to ACC-2."},
        {"role": "assistant", "content": "Transferring now.", "tool_calls": [
            {"id": "call_c", "type": "function", "function": {"name": "transfer",
                                                              "arguments": "{\"src\": \"ACC-1\", \"dst\": \"ACC-2\", \"amount\": 20}"}}]},
        {"role": "tool", "tool_call_id": "call_c", "content": "{\"ok\": true}"},
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "Thanks!"},
        {"role": "assistant", "content": "You're welcome."},
    ],
}


def test_openai_multi_turn_round_trip() -> None:
    converter = get_converter("openai")
    record = convert("openai", OPENAI_MT)
    assert record.id == "oa-mt-1" and record.inferred_category() == Category.MULTI_TURN
    assert [len(s.tool_calls) for s in record.steps] == [2, 0, 1, 0]
    assert record.steps[0].observations == ['{"balance": 120.0}', '{"balance": 5.5}']
    assert record.steps[2].thought == "Transferring now." and record.steps[1].user_input == "Move 20 from ACC-1 to ACC-2."
    exported = converter.export(record)
    # exact, up to the spacing inside the JSON argument strings (arguments compare as values)
    assert _parsed_args(exported) == _parsed_args(OPENAI_MT)  # tool results stay without a name, as in the source
    named = json.loads(json.dumps(OPENAI_MT))
    for message in named["messages"]:
        if message["role"] == "tool":
            message["name"] = {"call_a": "get_balance", "call_b": "get_balance", "call_c": "transfer"}[message["tool_call_id"]]
    assert _parsed_args(converter.export(convert("openai", named))) == _parsed_args(named)


def _parsed_args(row: dict[str, object]) -> dict[str, object]:
    row = json.loads(json.dumps(row))
    for message in row["messages"]:  # type: ignore[attr-defined]
        for call in message.get("tool_calls", []):
            call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return row


BROKEN = [
    ("apigen_mt", {"conversations": [{"from": "human", "value": "hi"}, {"from": "function_call", "value": "{\"name\": \"f\""}],
                   "tools": "[]"}, "conversations[1]"),
    ("apigen_mt", {"conversations": [{"from": "human", "value": "hi"}, {"from": "observation", "value": "x"}]},
     "conversations[1]"),
    ("apigen_mt", {"conversations": [{"from": "human", "value": "hi"}, {"from": "robot", "value": "x"}]},
     "conversations[1].from"),
    ("apigen_mt", {"conversations": [{"from": "human", "value": "hi"}], "tools": "[{\"description\": \"no name\"}]"},
     "tools[0].name"),
    ("apigen_mt", {"conversations": [{"from": "human", "value": "a"}, {"from": "function_call", "value":
                   "{\"name\": \"f\", \"arguments\": {}}"}, {"from": "gpt", "value": "early"}]}, "conversations[2]"),
]


@pytest.mark.parametrize(("source", "row", "field"), BROKEN)
def test_broken_turn_names_file_record_and_turn(source: str, row: dict[str, object], field: str, tmp_path: Path) -> None:
    path = tmp_path / "mt.jsonl"
    path.write_bytes(orjson.dumps(apigen_mt_row()) + b"\n" + orjson.dumps(row) + b"\n")
    with pytest.raises(RecordError) as info:
        for item in iter_json_items(path):
            get_converter(source).convert_item(item)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 2, field)
    # through unify: nothing is written
    with pytest.raises(RecordError):
        run_unify(source, [str(path)], str(tmp_path / "out"), UnifyConfig(on_error="fail"))
    assert not (tmp_path / "out").exists()


def test_apigen_mt_json_array_file_via_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlam.cli.main import app

    path = tmp_path / "apigen-mt_5k.json"
    path.write_text(json.dumps([apigen_mt_row(), {**apigen_mt_row(), "id": "second"}], indent=2))
    out = tmp_path / "ds"
    result = CliRunner().invoke(app, ["data", "unify", "--from", "apigen_mt", "--in", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = tmp_path / "back.jsonl"
    result = CliRunner().invoke(app, ["data", "export", str(out), "--to", "apigen_mt", "--out", str(exported)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert rows == [apigen_mt_row(), {**apigen_mt_row(), "id": "second"}]
    bad = tmp_path / "bad.json"
    broken = apigen_mt_row()
    broken["conversations"][6] = {"from": "function_call", "value": "not json"}  # type: ignore[index]
    bad.write_text(json.dumps([apigen_mt_row(), broken]))
    result = CliRunner().invoke(app, ["data", "unify", "--from", "apigen_mt", "--in", str(bad), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "line 2" in result.output and "conversations[6]" in result.output
    assert not (tmp_path / "x").exists()
