"""Semantic checker (APIGen stage 3): an LLM judge through a generator backend.

The judge sees the tools, the user's request(s), the calls and their execution results and
answers ``{"thought": ..., "pass": "yes"|"no"}``. It fails a record when (i) the calls or
arguments do not serve the query's objective, (ii) functions or arguments are not properly
chosen from those available, (iii) the number of calls does not match the number of user
intents, (iv) results are irrelevant to the function's purpose, or (v) results contain errors or
show a failed execution. Placeholder functions and truncated results are tolerated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlam.generators import ChatRequest, Generator
from xlam.prompts import render_tools
from xlam.records import Message, Record
from xlam.verify.issues import Issue

JUDGE_SYSTEM = """You are a strict data-quality judge for function-calling training data.
Given the available functions, the user's request, the function calls made and their execution
results, decide whether the calls correctly and completely serve the request.

Answer "no" if ANY of these holds:
1. The function calls or their arguments do not serve the objective of the query.
2. The functions or arguments are not properly chosen from the available functions.
3. The number of function calls does not match the number of user intents.
4. The execution results are irrelevant to the purpose of the functions.
5. The execution results contain errors or show that an execution failed.
Placeholder functions and truncated results are acceptable.

Reply with one JSON object only: {"thought": "<brief reasoning>", "pass": "yes" or "no"}"""

_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass
class JudgeResult:
    passed: bool
    reason: str
    raw: str = ""
    error: str | None = None


def judge_prompt(record: Record) -> str:
    """The user message for one record (tools, query and user turns, calls with results)."""
    requests = [record.query, *[s.user_input for s in record.steps if s.user_input]]
    calls: list[dict[str, Any]] = []
    for step in record.steps:
        for c, call in enumerate(step.tool_calls):
            entry: dict[str, Any] = {"name": call.name, "arguments": call.arguments}
            if c < len(step.observations):
                entry["result"] = _truncate(step.observations[c])
            calls.append(entry)
    return (
        f"[AVAILABLE FUNCTIONS]\n{render_tools(record.tools, 'json_schema')}\n\n"
        f"[USER REQUEST]\n" + "\n".join(r for r in requests if r) + "\n\n"
        f"[FUNCTION CALLS AND RESULTS]\n{json.dumps(calls, ensure_ascii=False, default=repr)}"
        + (f"\n\n[FINAL ANSWER]\n{record.answer}" if record.answer else "")
    )


def _truncate(value: Any, limit: int = 2000) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return value if len(text) <= limit else text[:limit] + "...(truncated)"


def parse_judgement(text: str) -> JudgeResult:
    """Read ``{"thought", "pass"}`` from judge output (tolerates code fences and extra prose)."""
    match = _JSON_OBJECT.search(text or "")
    if match is not None:
        try:
            obj = json.loads(match.group(0))
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "pass" in obj:
            verdict = str(obj["pass"]).strip().lower()
            if verdict in ("yes", "no", "true", "false"):
                return JudgeResult(verdict in ("yes", "true"), str(obj.get("thought", ""))[:1000], text)
    return JudgeResult(False, 'judge output is not {"thought", "pass"} JSON', text, error="unparseable")


def judge_records(
    records: Sequence[Record], generator: Generator, *, batch_size: int = 16, max_tokens: int = 256
) -> list[JudgeResult]:
    """Judge ``records`` in batches (the generator runs each batch concurrently/batched)."""
    out: list[JudgeResult] = []
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        requests = [
            ChatRequest(
                messages=[
                    Message(role="system", content=JUDGE_SYSTEM),
                    Message(role="user", content=judge_prompt(r)),
                ],
                max_tokens=max_tokens,
                temperature=0.0,
                metadata={"record_id": r.id, "task": "judge"},
            )
            for r in batch
        ]
        for response in generator.generate(requests):
            if response.error:
                out.append(
                    JudgeResult(False, f"judge request failed: {response.error}", error="request_failed")
                )
            else:
                out.append(parse_judgement(response.text))
    return out


def judgement_issue(result: JudgeResult) -> Issue | None:
    if result.passed:
        return None
    code = "semantic:fail" if result.error is None else f"semantic:{result.error}"
    return Issue(code=code, message=result.reason or "judge said no", stage="semantic")
