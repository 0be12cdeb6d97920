"""Property tests: Tool conversions round-trip; conversations round-trip; content hashes are stable."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from xlam.records import Message, Record, Step, Tool, ToolCall, messages_to_record, record_to_messages

SETTINGS = settings(max_examples=60, deadline=None)

names = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) | text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
                           max_leaves=8)

# --- Tool round trips ---------------------------------------------------------------------------
JSON_TYPES = ["string", "integer", "number", "boolean", "array", "object"]


@st.composite
def json_schema_props(draw: st.DrawFn) -> dict[str, Any]:
    props = {}
    for pname in draw(st.lists(names, max_size=5, unique=True)):
        kind = draw(st.sampled_from(JSON_TYPES))
        prop: dict[str, Any] = {"type": kind, "description": draw(text)}
        if kind == "array":
            prop["items"] = {"type": draw(st.sampled_from(["string", "integer", "number"]))}
        if draw(st.booleans()) and kind == "string":
            prop["enum"] = draw(st.lists(names, min_size=1, max_size=3, unique=True))
        props[pname] = prop
    return props


@st.composite
def openai_tools(draw: st.DrawFn) -> Tool:
    props = draw(json_schema_props())
    required = [p for p in props if draw(st.booleans())]
    params: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    return Tool(name=draw(names), description=draw(text), parameters=params)


@SETTINGS
@given(openai_tools())
def test_tool_openai_round_trip(tool: Tool) -> None:
    assert Tool.from_openai(tool.to_openai()) == tool
    assert Tool.from_openai(tool.to_openai()["function"]) == tool


GORILLA_PY = ["string", "integer", "float", "boolean", "array", "tuple", "dict", "any"]
GORILLA_JAVA = ["String", "int", "long", "boolean", "double", "float", "char", "byte", "short", "Array", "ArrayList",
                "HashMap", "Hashtable", "Queue", "Stack", "any"]
GORILLA_JS = ["String", "integer", "float", "Boolean", "array", "dict", "object", "Bigint", "any"]


@st.composite
def bfcl_functions(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    language = draw(st.sampled_from(["python", "java", "javascript"]))
    types = {"python": GORILLA_PY, "java": GORILLA_JAVA, "javascript": GORILLA_JS}[language]
    props = {}
    for pname in draw(st.lists(names, max_size=5, unique=True)):
        kind = draw(st.sampled_from(types))
        prop: dict[str, Any] = {"type": kind, "description": draw(text)}
        if kind in ("array", "tuple", "Array", "ArrayList"):
            prop["items"] = {"type": draw(st.sampled_from(types))}
        if draw(st.booleans()):
            prop["default"] = draw(json_scalars)
        props[pname] = prop
    fn: dict[str, Any] = {"name": draw(names), "description": draw(text),
                          "parameters": {"type": "dict", "properties": props,
                                         "required": [p for p in props if draw(st.booleans())]}}
    return fn, language


@SETTINGS
@given(bfcl_functions())
def test_tool_bfcl_round_trip(case: tuple[dict[str, Any], str]) -> None:
    fn, language = case
    tool = Tool.from_bfcl(copy.deepcopy(fn), language)  # type: ignore[arg-type]
    assert tool.to_bfcl() == fn
    assert tool.parameters["type"] == "object"
    for prop in tool.properties.values():
        assert prop["type"] in JSON_TYPES
        if language != "python":
            assert prop["type"] == "string"  # BFCL: Java/JS values are source strings
    # and through the OpenAI form (what FC models see), keeping the Gorilla types
    assert Tool.from_openai(tool.to_openai()).to_bfcl() == fn


FLAT_TYPES = ["str", "int", "float", "bool", "List[str]", "List[int]", "Dict", "dict", "str, optional",
              "int, optional", "List[float]", "Any", "bool, optional"]


@st.composite
def flat_tools(draw: st.DrawFn) -> dict[str, Any]:
    flagged = draw(st.booleans())
    params = {}
    for pname in draw(st.lists(names, max_size=5, unique=True)):
        prop: dict[str, Any] = {"description": draw(text), "type": draw(st.sampled_from(FLAT_TYPES))}
        if draw(st.booleans()):
            prop["default"] = draw(json_scalars)
        if flagged:
            prop["required"] = draw(st.booleans())
        params[pname] = prop
    return {"name": draw(names), "description": draw(text), "parameters": params}


@SETTINGS
@given(flat_tools())
def test_tool_xlam_v1_flat_round_trip(flat: dict[str, Any]) -> None:
    tool = Tool.from_xlam_v1(copy.deepcopy(flat))
    back = tool.to_xlam_v1()
    assert back["name"] == flat["name"] and back["description"] == flat["description"]
    assert {k: {kk: vv for kk, vv in v.items()} for k, v in back["parameters"].items()} == flat["parameters"]
    assert Tool.from_xlam_v1(back) == tool


# --- Conversations ------------------------------------------------------------------------------
@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message(role="system", content=draw(text.filter(bool))))
    messages.append(Message(role="user", content=draw(text.filter(bool))))
    for turn in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            calls = [ToolCall(name=draw(names), arguments=draw(st.dictionaries(names, json_values, max_size=3)),
                              id=f"call_{turn}_{i}") for i in range(draw(st.integers(1, 3)))]
            messages.append(Message(role="assistant", content=draw(st.none() | text.filter(bool)), tool_calls=calls))
            for call in calls:
                messages.append(Message(role="tool", content=draw(text), tool_call_id=call.id, name=call.name))
        else:
            messages.append(Message(role="assistant", content=draw(text.filter(bool))))
            messages.append(Message(role="user", content=draw(text.filter(bool))))
    if draw(st.booleans()):
        messages.append(Message(role="assistant", content=draw(text)))
    return messages


@SETTINGS
@given(conversations())
def test_messages_record_messages_round_trip(messages: list[Message]) -> None:
    record = messages_to_record(messages, id="x")
    again = record_to_messages(record)
    assert again == messages
    assert messages_to_record(again, id="x") == record


# --- Content hash -------------------------------------------------------------------------------
@st.composite
def records(draw: st.DrawFn) -> Record:
    tools = draw(st.lists(openai_tools(), max_size=3, unique_by=lambda t: t.name))
    steps = [Step(thought=draw(text), tool_calls=[ToolCall(name=draw(names), arguments=draw(
        st.dictionaries(names, json_values, max_size=3)))], observations=[draw(json_values)])
             for _ in range(draw(st.integers(0, 3)))]
    return Record(id=draw(names), source=draw(names), task_instruction=draw(text), tools=tools, query=draw(text),
                  steps=steps, answer=draw(st.none() | text), meta={"k": draw(json_values)})


def shuffle_keys(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffle_keys(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffle_keys(v, rng) for v in value]
    return value


@SETTINGS
@given(records(), st.integers(0, 2**16))
def test_hash_ignores_key_order_ids_and_provenance(record: Record, seed: int) -> None:
    dumped = record.model_dump(mode="json")
    shuffled = Record.model_validate(shuffle_keys(dumped, random.Random(seed)))
    assert shuffled.content_hash() == record.content_hash()
    renamed = record.model_copy(update={"id": "other", "source": "elsewhere", "meta": {}})
    renamed.provenance.parents.append("p1")
    assert renamed.content_hash() == record.content_hash()
    assert Record.model_validate_json(record.model_dump_json()).content_hash() == record.content_hash()


@SETTINGS
@given(records(), text)
def test_hash_changes_with_content(record: Record, extra: str) -> None:
    changed = record.model_copy(update={"query": record.query + extra + "!"})
    assert changed.content_hash() != record.content_hash()
    if record.steps:
        step = record.steps[0].model_copy(deep=True)
        step.tool_calls[0].arguments["__new"] = 1
        other = record.model_copy(update={"steps": [step, *record.steps[1:]]})
        assert other.content_hash() != record.content_hash()


def test_hash_is_pinned_across_machines() -> None:
    record = Record(id="a", query="Weather in Paris?", tools=[Tool(name="get_weather")],
                    steps=[Step(tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris", "days": 1.5})])])
    # sha256 of the canonical JSON: any change of the canonical form breaks every stored id
    assert record.content_hash() == PINNED_HASH


PINNED_HASH = "87198194f3b7fd5bb09f64f8c6a53ca264fe93329f060b5ca26988e48b474c83"
