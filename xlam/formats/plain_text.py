"""A human-readable ReAct-style syntax::

    Thought: I need the forecast first.
    Action: get_forecast
    Action Input: {"city": "Lisbon", "days": 3}
    Action: convert_currency
    Action Input: {"amount": 200, "src": "USD", "dst": "EUR"}

A reply step is ``Thought: ...`` (optional) then ``Final Answer: <text>``. ``Action Input`` is one line
of JSON. Multi-line thoughts and answers indent their continuation lines by two spaces, so no line of
free text can be read as a marker; when parsing, unindented non-marker lines are also accepted as
continuations (models rarely indent).
"""

from __future__ import annotations

from typing import Any

from xlam.formats.base import FormatParseError, FormatRenderError, OutputFormat, dumps, load_json
from xlam.records import Step, ToolCall

_THOUGHT, _ACTION, _INPUT, _ANSWER = "Thought:", "Action:", "Action Input:", "Final Answer:"
_INDENT = "  "


def _field(marker: str, text: str) -> str:
    body = text.replace("\n", "\n" + _INDENT)
    return f"{marker} {body}" if text else marker


class PlainTextFormat(OutputFormat):
    name = "plain_text"
    instruction = (
        "Write your reasoning after 'Thought:'. To call a tool, write 'Action: <tool name>' on its own line and "
        "'Action Input: <arguments as a one-line JSON object>' on the next line; repeat both lines for each call. "
        "If no tool is needed, write 'Final Answer: <your answer to the user>' instead."
    )
    carries_thought = True
    carries_reply_thought = True

    def render(self, step: Step) -> str:
        lines = [_field(_THOUGHT, step.thought)] if step.thought else []
        for call in step.tool_calls:
            if "\n" in call.name or call.name != call.name.strip():
                raise FormatRenderError(f"plain_text: tool name {call.name!r} has newlines or edge spaces")
            lines += [f"{_ACTION} {call.name}", f"{_INPUT} {dumps(call.arguments)}"]
        if not step.tool_calls:
            lines.append(_field(_ANSWER, step.response))
        return "\n".join(lines)

    def parse(self, text: str) -> Step:
        thought: list[str] | None = None
        answer: list[str] | None = None
        calls: list[ToolCall] = []
        current: list[str] | None = None
        for lineno, line in enumerate(text.strip("\n").split("\n"), start=1):
            if line.startswith(_THOUGHT):
                thought = current = [line[len(_THOUGHT) :].removeprefix(" ")]
            elif line.startswith(_INPUT):
                if not calls:
                    raise FormatParseError(f"plain_text line {lineno}: 'Action Input' without an 'Action'")
                args: Any = load_json(line[len(_INPUT) :].strip() or "{}", what=f"plain_text line {lineno}")
                if not isinstance(args, dict):
                    raise FormatParseError(f"plain_text line {lineno}: 'Action Input' must be a JSON object")
                calls[-1] = ToolCall(name=calls[-1].name, arguments=args)
                current = None
            elif line.startswith(_ACTION):
                name = line[len(_ACTION) :].strip()
                if not name:
                    raise FormatParseError(f"plain_text line {lineno}: empty tool name")
                calls.append(ToolCall(name=name))
                current = None
            elif line.startswith(_ANSWER):
                answer = current = [line[len(_ANSWER) :].removeprefix(" ")]
            elif current is not None:
                current.append(line.removeprefix(_INDENT))
            elif thought is None and answer is None and not calls:
                thought = current = [line]  # leading free text before any marker
            else:
                raise FormatParseError(f"plain_text line {lineno}: unexpected text {line[:60]!r}")
        if calls:
            return Step(thought="\n".join(thought or []), tool_calls=calls)
        if answer is None and thought is not None and not text.lstrip().startswith(_THOUGHT):
            return Step(response=text.strip())  # no markers at all: the whole text is a reply
        return Step(thought="\n".join(thought or []), response="\n".join(answer or []))
