"""LLM drafting, APIGen-style: sampled tools + seed examples + a prompt template -> JSON QA pair.

The model is asked for ``{"query": ..., "answers": [{"name", "arguments"}], "response": ...}``
(``response`` only for irrelevance / missing-parameter styles). Its text is parsed with
:mod:`xlam.formats` (code fences and reasoning stripped; the answers decoded as a JSON call
list). Unparseable output becomes a format failure with the parse error as its reason.
"""

from __future__ import annotations

import json
import random
from typing import Any

import orjson

from xlam.formats import FormatParseError, decode_calls, strip_code_fences
from xlam.generators import ChatRequest
from xlam.records import Message, Record, Step
from xlam.synthesis.config import SynthesisConfig
from xlam.synthesis.drafts import Draft
from xlam.synthesis.library import LibraryTool, ToolLibrary

_STYLE_INSTRUCTIONS = {
    "simple": "Write a query that needs exactly ONE call of the given function.",
    "multiple": "Write a query that needs exactly ONE call of ONE of the given functions (pick the right one).",
    "parallel": "Write a query that needs SEVERAL calls (2-3) of the SAME function with different arguments, "
                "made at once.",
    "parallel_multiple": "Write a query that needs several calls (2-4) of at least TWO DIFFERENT functions, "
                         "made at once.",
    "irrelevance": "Write a query that NONE of the given functions can serve. `answers` must be [] and "
                   "`response` must tell the user no available tool fits.",
    "missing_parameter": "Write a query for the function that leaves out one REQUIRED argument's value. "
                         "`answers` must be [] and `response` must ask the user for the missing value.",
}
_TEMPLATE_INSTRUCTIONS = {
    "formal": "Phrase the query formally.",
    "casual": "Phrase the query casually, like a chat message.",
    "terse": "Phrase the query tersely.",
    "question": "Phrase the query as a question.",
    "typo": "Include one small spelling mistake in the query wording (never in argument values).",
}
SYSTEM_PROMPT = (
    "You generate training data for function calling. Given functions (JSON Schema) and examples, write "
    "one realistic user query and the exact function calls that answer it. Every argument value must be "
    "stated in the query or follow from it, match the parameter's type and constraints, and only "
    "parameters from the schema may be used. Reply with ONE JSON object and nothing else: "
    '{"query": "...", "answers": [{"name": "...", "arguments": {...}}], "response": ""}'
)


def _example(record: Record) -> str:
    step = record.steps[0] if record.steps else Step()
    payload = {"query": record.query,
               "answers": [{"name": c.name, "arguments": c.arguments} for c in step.tool_calls],
               "response": step.response}
    return json.dumps(payload, ensure_ascii=False)


def build_request(style: str, tools: list[LibraryTool], seeds: list[Record], template: str,
                  config: SynthesisConfig, rng: random.Random) -> ChatRequest:
    """The chat request for one candidate (APIGen's generator prompt)."""
    specs = json.dumps([t.tool.to_openai(strip_extensions=True)["function"] for t in tools], ensure_ascii=False)
    parts = [f"Functions:\n{specs}", _STYLE_INSTRUCTIONS[style], _TEMPLATE_INSTRUCTIONS.get(template, "")]
    if seeds:
        parts.append("Examples of the output format:\n" + "\n".join(_example(s) for s in seeds))
    parts.append("Now write the JSON object.")
    return ChatRequest(
        messages=[Message(role="system", content=SYSTEM_PROMPT),
                  Message(role="user", content="\n\n".join(p for p in parts if p))],
        max_tokens=config.max_tokens, temperature=config.temperature, seed=rng.randrange(2**31),
        metadata={"template": "synthesis", "style": style},
    )


def parse_response(text: str) -> dict[str, Any]:
    """``{"query", "answers" (ToolCalls), "response"}`` from the model's text; raises
    :class:`FormatParseError` when it is not such a JSON object."""
    body = strip_code_fences(text)
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise FormatParseError("no JSON object in the output")
    try:
        obj = orjson.loads(body[start:end + 1])
    except orjson.JSONDecodeError as exc:
        raise FormatParseError(f"invalid JSON: {exc}") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("query"), str):
        raise FormatParseError("missing field 'query'")
    answers = obj.get("answers", [])
    if isinstance(answers, str):
        answers = orjson.loads(answers)
    if not isinstance(answers, list):
        raise FormatParseError("field 'answers' is not a list")
    calls = decode_calls(orjson.dumps(answers).decode(), "json_list") if answers else []
    return {"query": obj["query"], "answers": calls, "response": str(obj.get("response") or "")}


def draft_from_response(text: str, style: str, tools: list[LibraryTool], generator: str, template: str,
                        seeds: list[Record]) -> Draft:
    """A draft from the model's reply (raises :class:`FormatParseError`)."""
    parsed = parse_response(text)
    if style in ("irrelevance", "missing_parameter"):
        response = parsed["response"]
        steps = [Step(tool_calls=parsed["answers"], response=response)]
    else:
        steps = [Step(tool_calls=parsed["answers"])]
    return Draft(style, parsed["query"], [t.tool for t in tools], steps, generator, template,
                 [s.id for s in seeds], raw=text)


def sample_tools(style: str, library: ToolLibrary, config: SynthesisConfig, rng: random.Random) -> list[LibraryTool]:
    """The tools one LLM prompt offers for ``style``."""
    single = style in ("simple", "parallel", "missing_parameter")
    k = 1 if single else rng.randint(config.min_tools, config.max_tools)
    return library.sample(rng, k, mixed=rng.random() < config.mixed_category_rate)


__all__ = ["SYSTEM_PROMPT", "build_request", "draft_from_response", "parse_response", "sample_tools"]
