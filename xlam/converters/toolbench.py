"""ToolBench / ToolLLaMA DFSDT trajectories (``toolllama_G123_dfs_train.json`` style). Sample::

    {"id": "Step 2: I want to know the current price of Bitcoin ...",
     "conversations": [
       {"from": "system", "value": "You are AutoGPT, you can use many tools(functions) to do the following
          task.\\n...Specifically, you have access to the following APIs: [{'name': 'coin_price_for_coinranking',
          'description': 'Price of a coin', 'parameters': {'type': 'object', 'properties': {'uuid':
          {'type': 'string'}}, 'required': ['uuid'], 'optional': []}}, {'name': 'Finish', ...}]"},
       {"from": "user", "value": "What is the price of Bitcoin?\\nBegin!\\n"},
       {"from": "assistant", "value": "\\nThought: I should look up the price.\\nAction: coin_price_for_coinranking
          \\nAction Input: {\\"uuid\\": \\"Qwsogvtv82FCd\\"}"},
       {"from": "function", "value": "{\\"error\\": \\"\\", \\"response\\": \\"{'price': '43125.2'}\\"}"},
       {"from": "assistant", "value": "\\nThought: I have it.\\nAction: Finish\\nAction Input: {\\"return_type\\":
          \\"give_answer\\", \\"final_answer\\": \\"Bitcoin costs about $43,125.\\"}"}]}

The API list (a Python literal) becomes the tools (``Finish`` is the protocol's stop action, not a
tool); the system text before it the task instruction; the user text without ``Begin!`` the
query; each Thought/Action/Action Input turn a step whose observation is the following
``function`` message (JSON-decoded when it is JSON). ``Finish`` with ``give_answer`` sets the
answer; ``give_up_and_restart`` is kept in ``meta.finish``.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import orjson

from xlam.converters.base import Converter, FieldError, SourceItem, require
from xlam.converters.registry import register
from xlam.records import Record, Step, Tool, ToolCall

_API_MARK = "Specifically, you have access to the following APIs:"
_ACTION_RE = re.compile(
    r"^\s*(?:Thought:\s*(?P<thought>.*?))?\s*Action:\s*(?P<action>[^\n]+?)\s*\n\s*Action Input:\s*(?P<input>.*)$", re.S
)


def _parse_api_list(text: str, path: str) -> list[dict[str, Any]]:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        try:
            value = orjson.loads(text.strip())
        except orjson.JSONDecodeError as exc:
            raise FieldError(path, "the API list is neither a Python literal nor JSON") from exc
    if not isinstance(value, list):
        raise FieldError(path, "the API list must be a list")
    return value


def _parse_action_input(text: str, path: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise FieldError(path, f"Action Input is not a JSON object: {text[:80]!r}") from None
    if not isinstance(value, dict):
        raise FieldError(path, f"Action Input must be an object, got {type(value).__name__}")
    return value


def _observation(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


@register
class ToolBenchConverter(Converter):
    name = "toolbench"
    description = "ToolBench / ToolLLaMA DFSDT trajectories (Thought, Action, Action Input, Observation, Finish)"

    def convert(self, item: SourceItem) -> list[Record]:
        row = item.value
        turns = require(row, "conversations", "", list)
        instruction = ""
        tools: list[Tool] = []
        query = ""
        steps: list[Step] = []
        answer: str | None = None
        meta: dict[str, Any] = {}
        for i, turn in enumerate(turns):
            where = f"conversations[{i}]"
            role = require(turn, "from", where, str)
            value = require(turn, "value", where, str)
            if role == "system":
                head, mark, apis = value.partition(_API_MARK)
                instruction = head.strip()
                if mark:
                    for j, spec in enumerate(_parse_api_list(apis, f"{where}.value")):
                        require(spec, "name", f"{where}.value[{j}]", str)
                        if spec["name"] != "Finish":
                            tools.append(Tool.from_openai(spec))
            elif role == "user":
                text = re.sub(r"\s*Begin!\s*$", "", value).strip()
                if not query and not steps:
                    query = text
                elif steps:
                    steps[-1].user_input = text
                else:
                    raise FieldError(where, "second user message before any assistant step")
            elif role == "assistant":
                match = _ACTION_RE.match(value)
                if match is None:
                    # A plain reply (no action): the final answer, or a step that talks to the user.
                    steps.append(Step(response=value.strip()))
                    continue
                thought = (match.group("thought") or "").strip()
                action = match.group("action").strip()
                args = _parse_action_input(match.group("input"), f"{where}.value")
                if action == "Finish":
                    meta["finish"] = args.get("return_type", "")
                    if args.get("return_type") == "give_answer":
                        answer = str(args.get("final_answer", ""))
                        if thought:
                            steps.append(Step(thought=thought))
                    else:
                        steps.append(Step(thought=thought, response=str(args.get("final_answer", ""))))
                    continue
                steps.append(Step(thought=thought, tool_calls=[ToolCall(name=action, arguments=args)]))
            elif role in ("function", "observation", "tool"):
                if not steps or not steps[-1].tool_calls or steps[-1].observations:
                    raise FieldError(where, "function result without a preceding action")
                steps[-1].observations.append(_observation(value))
            else:
                raise FieldError(f"{where}.from", f"unknown role {role!r}")
        if not query:
            raise FieldError("conversations", "no user message")
        # A trailing plain reply is the answer.
        if answer is None and steps and not steps[-1].tool_calls and steps[-1].response and not steps[-1].user_input:
            answer = steps.pop().response
        return [self.build(item, row.get("id"), task_instruction=instruction, tools=tools, query=query,
                           steps=steps, answer=answer, meta=meta)]
