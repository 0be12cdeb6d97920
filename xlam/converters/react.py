"""ReAct text trajectories, as produced by HotpotQA/FEVER and WebShop agents. Sample rows::

    {"id": "hotpot-5a8b57f25542995d1e6f1371", "environment": "hotpotqa",
     "question": "Were Scott Derrickson and Ed Wood of the same nationality?",
     "trajectory": "Thought 1: I need to search Scott Derrickson and Ed Wood.\\nAction 1: Search[Scott Derrickson]\\n
                    Observation 1: Scott Derrickson is an American director...\\n...
                    Action 3: Finish[yes]"}

    {"id": "webshop-12", "environment": "webshop",
     "trajectory": "Instruction: i need a long clip-in hair extension ... price lower than 40.00 dollars\\n[Search]\\n
                    Action: search[long clip-in hair extension]\\nObservation: [Back to Search] Page 1 ...\\n
                    Action: think[B09QQLDJ93 fits.]\\nObservation: OK.\\nAction: click[B09QQLDJ93]\\n..."}

``Thought:`` lines (numbered or not, and WebShop's ``think[...]`` actions) become step thoughts;
every other ``Action: name[argument]`` a call of tool ``name`` whose single argument is named
after the environment's action space (HotpotQA ``search(entity)``, ``lookup(keyword)``; WebShop
``search(query)``, ``click(target)``; otherwise ``input``); ``Observation:`` its result.
``Finish[answer]`` sets the record's answer. Text before the first marker is the query when the
row has no ``question``. Tools come from the row's ``tools`` (OpenAI format) or from the actions used.
"""

from __future__ import annotations

import re
from typing import Any

from xlam.converters.base import Converter, FieldError, SourceItem, require
from xlam.converters.openai import parse_openai_tools
from xlam.converters.registry import register
from xlam.records import Record, Step, Tool, ToolCall

_MARK = re.compile(r"^(Thought|Action|Observation)(?:\s*\d+)?\s*:\s?", re.M)
_CALL = re.compile(r"^\s*(?P<name>[A-Za-z_][\w\-]*)\s*\[(?P<arg>.*)\]\s*$", re.S)

ACTION_SPACES: dict[str, dict[str, tuple[str, str]]] = {
    "hotpotqa": {
        "search": ("entity", "Search Wikipedia for the entity; returns the first paragraph or similar entities."),
        "lookup": ("keyword", "Return the next sentence containing the keyword in the current page."),
    },
    "fever": {
        "search": ("entity", "Search Wikipedia for the entity; returns the first paragraph or similar entities."),
        "lookup": ("keyword", "Return the next sentence containing the keyword in the current page."),
    },
    "webshop": {
        "search": ("query", "Search the shop for products matching the query."),
        "click": ("target", "Click a button or product link on the current page."),
    },
}


def _tool_for(env: str, name: str) -> Tool:
    param, description = ACTION_SPACES.get(env, {}).get(name, ("input", f"The {name} action."))
    return Tool(name=name, description=description, parameters={
        "type": "object", "properties": {param: {"type": "string"}}, "required": [param]})


@register
class ReActConverter(Converter):
    name = "react"
    description = "ReAct text trajectories (Thought:, Action: name[arg], Observation:) as in HotpotQA/WebShop"

    def convert(self, item: SourceItem) -> list[Record]:
        row = item.value
        text = require(row, "trajectory", "", str)
        env = str(row.get("environment", "")).lower()
        query = row.get("question") or row.get("query") or row.get("instruction") or ""
        if not isinstance(query, str):
            raise FieldError("question", "expected a string")
        marks = list(_MARK.finditer(text))
        if not marks:
            raise FieldError("trajectory", "no Thought:/Action:/Observation: lines")
        preamble = text[: marks[0].start()].strip()
        if not query:
            query = preamble
        elif preamble:
            query = f"{query}\n{preamble}"
        tools = parse_openai_tools(row.get("tools"), "tools")
        given = {t.name for t in tools}
        steps: list[Step] = []
        thought: list[str] = []
        answer: str | None = None
        for n, mark in enumerate(marks):
            kind = mark.group(1)
            body = text[mark.end() : marks[n + 1].start() if n + 1 < len(marks) else len(text)].strip()
            where = f"trajectory (line {text.count(chr(10), 0, mark.start()) + 1})"
            if kind == "Thought":
                thought.append(body)
            elif kind == "Action":
                call = _CALL.match(body)
                if call is None:
                    raise FieldError(where, f"action is not name[argument]: {body[:60]!r}")
                name, arg = call.group("name").lower(), call.group("arg").strip()
                if name == "think":
                    thought.append(arg)
                    continue
                if name == "finish":
                    answer = arg
                    if thought:
                        steps.append(Step(thought="\n".join(thought)))
                        thought = []
                    continue
                if name not in given:
                    tools.append(_tool_for(env, name))
                    given.add(name)
                param = next(iter(next(t for t in tools if t.name == name).properties), "input")
                steps.append(Step(thought="\n".join(thought), tool_calls=[ToolCall(name=name, arguments={param: arg})]))
                thought = []
            else:  # Observation
                if steps and steps[-1].tool_calls and not steps[-1].observations:
                    steps[-1].observations.append(body)
                elif body and body.lower() != "ok.":
                    raise FieldError(where, "observation without a preceding action")
        if thought:
            steps.append(Step(thought="\n".join(thought)))
        meta: dict[str, Any] = {k: v for k, v in row.items()
                                if k not in ("id", "question", "query", "instruction", "trajectory", "tools")}
        return [self.build(item, row.get("id"), tools=tools, query=query, steps=steps, answer=answer, meta=meta)]
