"""Output formats: round trips (property-based) and decoding edge cases."""

from __future__ import annotations

import keyword
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlam.formats import FORMATS, FormatParseError, FormatRenderError, decode_calls, get_format
from xlam.records import Step, ToolCall

# Text: any printable unicode (no surrogates / C0-C1 controls except \n and \t) plus quotes.
_chars = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"), blacklist_characters="\x85\ufeff")
# Documented limitation of auto-detection: a dangling "</think>" ends a reasoning block wherever it is.
texts = st.text(alphabet=st.one_of(_chars, st.sampled_from(["\n", "\t", "'", '"', "\\", "<", "&", ":", "#"])), max_size=30).filter(
    lambda t: "</think>" not in t
)
idents = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(string.ascii_letters + "_"),
    st.text(alphabet=string.ascii_letters + string.digits + "_", max_size=10),
).filter(lambda s: not keyword.iskeyword(s))
tool_names = st.lists(idents, min_size=1, max_size=3).map(".".join)
scalars = st.one_of(
    texts,
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)),
    max_leaves=10,
)
calls = st.builds(ToolCall, name=tool_names, arguments=st.dictionaries(idents, values, max_size=4))
# Documented limitation: free text (thoughts, replies) must not contain a format's own call markers.
_MARKERS = ("<tool_call>", "</tool_call>", "[TOOL_CALLS]", "<TOOLCALL>", "<think>")
free_text = texts.map(str.strip).filter(lambda t: not any(m in t for m in _MARKERS))


def _reply_ok(fmt_name: str, text: str) -> bool:
    """Replies that a text-only format could confuse with a call attempt are out of scope (documented)."""
    fmt = get_format(fmt_name)
    try:
        return not fmt.parse(text).tool_calls and fmt.parse(text).response == text
    except FormatParseError:
        return False


@pytest.mark.parametrize("fmt_name", sorted(FORMATS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thought=free_text, step_calls=st.lists(calls, min_size=1, max_size=3))
def test_call_steps_round_trip(fmt_name: str, thought: str, step_calls: list[ToolCall]) -> None:
    fmt = get_format(fmt_name)
    step = Step(thought=thought, tool_calls=step_calls, observations=["obs"] * len(step_calls))
    text = fmt.render(step)
    assert fmt.parse(text) == fmt.normalize(step)
    # The auto-detecting decoder finds the same calls without being told the format.
    assert decode_calls(text) == fmt.normalize(step).tool_calls
    assert decode_calls(text, fmt_name) == fmt.normalize(step).tool_calls


@pytest.mark.parametrize("fmt_name", sorted(FORMATS))
@settings(max_examples=40, deadline=None)
@given(thought=free_text, response=free_text)
def test_reply_steps_round_trip(fmt_name: str, thought: str, response: str) -> None:
    fmt = get_format(fmt_name)
    step = Step(thought=thought, response=response)
    text = fmt.render(step)
    if not fmt.carries_reply_thought and not _reply_ok(fmt_name, response):
        return
    assert fmt.parse(text) == fmt.normalize(step)


def test_every_format_has_an_instruction_and_at_least_eight_exist() -> None:
    assert len(FORMATS) >= 8
    for fmt in FORMATS.values():
        assert len(fmt.instruction) > 40, fmt.name


def test_python_calls_rejects_non_identifier_names() -> None:
    with pytest.raises(FormatRenderError):
        get_format("python_calls").render(Step(tool_calls=[ToolCall(name="get-weather")]))
    with pytest.raises(FormatRenderError):
        get_format("python_calls").render(Step(tool_calls=[ToolCall(name="f", arguments={"from": 1})]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # BFCL prompt style: keyword args only, negatives, tuples, bare names -> strings, dotted names.
        ("[math.factorial(n=5, base=-2, t=(1, 2), unit=meters)]", [("math.factorial", {"n": 5, "base": -2, "t": (1, 2), "unit": "meters"})]),
        ("f(1, x=2)", [("f", {"x": 2})]),
        ("```\n[f(a=2**3)]\n```", [("f", {"a": 8})]),
        ("[f(a=[1, {'k': None}])]", [("f", {"a": [1, {"k": None}]})]),
        ("'[f(a=1)]'", []),  # a quoted list is a string to BFCL's decoder too: no call
        ("[f(g=h(x=1), s=sqrt(2), a=x[0])]", [("f", {"g": {"h": {"x": 1}}, "s": "sqrt(2)", "a": "x[0]"})]),
        # xLAM JSON inside a code fence and after a think block.
        ('<think>hmm [x]</think>```json\n{"thought": "t", "tool_calls": [{"name": "f", "arguments": {"a": 1}}]}\n```', [("f", {"a": 1})]),
        # OpenAI-style with string arguments; single object; BFCL JSON {"function","parameters"}.
        ('[{"type": "function", "function": {"name": "f", "arguments": "{\\"a\\": 1}"}}]', [("f", {"a": 1})]),
        ('{"name": "f", "arguments": {"a": 1}}', [("f", {"a": 1})]),
        ('[{"function": "f", "parameters": {"a": 1}}]', [("f", {"a": 1})]),
        # vLLM xLAM parser: ;-separated objects.
        ('{"name": "f", "arguments": {}}; {"name": "g", "arguments": {"b": "x;y"}}', [("f", {}), ("g", {"b": "x;y"})]),
        ('[TOOL_CALLS] [{"name": "f", "arguments": {"a": 1}}]', [("f", {"a": 1})]),
        ('<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>\n<tool_call>{"name": "g", "arguments": {}}</tool_call>', [("f", {"a": 1}), ("g", {})]),
        ("<TOOLCALL>[f(a=1)]</TOOLCALL>", [("f", {"a": 1})]),
        ('Sure, calling now: [{"name": "f", "arguments": {"a": 1}}] done.', [("f", {"a": 1})]),
        ("I cannot help with that.", []),
        ("[]", []),
        ("", []),
    ],
)
def test_decode_edge_cases(text: str, expected: list[tuple[str, dict[str, Any]]]) -> None:
    assert [(c.name, c.arguments) for c in decode_calls(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        '[{"name": "f", "arguments": {"a": 1}',  # truncated JSON
        "[f(a=lambda x: x)]",  # lambdas fail in BFCL's decoder too
        "<tool_call>{\"name\": \"f\"",  # unterminated tag
        '{"tool_calls": [{"arguments": {}}]}',  # call without a name
    ],
)
def test_malformed_output_raises(text: str) -> None:
    with pytest.raises(FormatParseError):
        decode_calls(text)


def test_explicit_format_is_strict() -> None:
    with pytest.raises(FormatParseError):
        decode_calls("[f(a=1)]", "json_list")
    assert decode_calls("no call here", "json_list") == []
