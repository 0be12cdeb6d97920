"""Prompts for BFCL entries, as BFCL builds them.

- Prompt mode: BFCL's default system prompt (``ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&
  prompt_fmt=plaintext&style=classic``) listing the functions as indented JSON, prepended to (or
  merged into) the entry's first system message. The model must answer with a Python call list.
- Native (function-calling) mode: the functions become OpenAI tools (:meth:`Tool.from_bfcl`).

Function docs first get BFCL's language-specific pre-processing (the "Note that the provided
function is in Python 3 syntax." hint; Java/JavaScript parameter types become ``string`` with the
original type explained in the description).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from xlam.records import Message, Tool

PERSONA = "You are an expert in composing functions."
TASK = (
    "You are given a question and a set of possible functions. Based on the question, you will need to make one "
    "or more function/tool calls to achieve the purpose. If none of the functions can be used, point it out. If "
    "the given question lacks the parameters required by the function, also point it out."
)
TOOL_CALL_FORMAT = (
    "You should only return the function calls in your response.\n\nIf you decide to invoke any of the "
    "function(s), you MUST put it in the format of [func_name1(params_name1=params_value1, "
    "params_name2=params_value2...), func_name2(params)].  You SHOULD NOT include any other text in the response."
)
MULTITURN_BEHAVIOR = (
    "At each turn, you should try your best to complete the tasks requested by the user within the current turn. "
    "Continue to output functions to call until you have fulfilled the user's request to the best of your ability. "
    "Once you have no more functions to call, the system will consider the current turn complete and proceed to "
    "the next turn or task."
)


def _hint(category: str) -> str:
    if category.endswith("java"):
        return " Note that the provided function is in Java 8 SDK syntax."
    if category.endswith("javascript"):
        return " Note that the provided function is in JavaScript syntax."
    return " Note that the provided function is in Python 3 syntax."


def preprocess_functions(functions: list[dict[str, Any]], category: str) -> list[dict[str, Any]]:
    """BFCL's language-specific pre-processing of function docs (on a copy)."""
    out = copy.deepcopy(functions)
    java, js = category.endswith("java"), category.endswith("javascript")
    lang = "Java" if java else "JavaScript"
    for item in out:
        item["description"] = item.get("description", "") + _hint(category)
        if not (java or js):
            continue
        for value in item["parameters"]["properties"].values():
            if value["type"] == "any":
                value["description"] += f" This parameter can be of any type of {lang} object in string representation."
            else:
                value["description"] += f" This is {lang} {value['type']} type parameter in string representation."
            if value["type"] in (("ArrayList", "Array") if java else ("array",)):
                value["description"] += (
                    f" The list elements are of type {value['items']['type']}; they are not in string representation."
                )
                del value["items"]
            if js and value["type"] == "dict" and "properties" in value:
                value["description"] += (
                    " The dictionary entries have the following schema; they are not in string representation. "
                    + json.dumps(value["properties"])
                )
                del value["properties"]
            value["type"] = "string"
    return out


def system_prompt(functions: list[dict[str, Any]]) -> str:
    """BFCL's default prompt-mode system prompt for already pre-processed functions."""
    available = f"Here is a list of functions in json format that you can invoke.\n{json.dumps(functions, indent=4)}\n"
    return f"{PERSONA}{TASK}\n\n{TOOL_CALL_FORMAT}\n\n{MULTITURN_BEHAVIOR}\n\n{available}"


def entry_messages(entry: dict[str, Any]) -> list[Message]:
    """The (single-turn) conversation of an entry: its first turn's messages."""
    turns = entry["question"]
    messages = turns[0] if turns and isinstance(turns[0], list) else turns
    return [Message(role=m["role"], content=m.get("content") or "") for m in messages]


def prompt_mode_messages(entry: dict[str, Any], category: str) -> list[Message]:
    """System prompt (merged with an existing system message, as BFCL does) + the entry's messages."""
    prompt = system_prompt(preprocess_functions(entry["function"], category))
    messages = entry_messages(entry)
    if messages and messages[0].role == "system":
        messages[0] = Message(role="system", content=prompt + "\n\n" + (messages[0].content or ""))
    else:
        messages.insert(0, Message(role="system", content=prompt))
    return messages


def native_tools(entry: dict[str, Any], category: str) -> list[Tool]:
    """The entry's functions as tools for native function calling (Java/JS params as strings)."""
    return [Tool.from_bfcl(f) for f in preprocess_functions(entry["function"], category)]
