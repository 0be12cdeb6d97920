"""Task-instruction paraphrase with a verification call (xLAM paper section 3.2).

A generator rewrites the task instruction; then the generator is prompted with the paraphrased
record and must still produce the gold calls of the first step. Paraphrases that fail are
discarded (the record keeps its instruction and the reason is counted).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from xlam.formats import decode_calls
from xlam.generators import ChatRequest, Generator
from xlam.prompts import PromptStyle, render_prompt
from xlam.records import Message, Record, ToolCall

PARAPHRASE_SYSTEM = (
    "Rewrite the task instruction you are given so that it reads differently (other wording, sentence "
    "order or tone) but keeps exactly the same meaning, constraints and names. Reply with the rewritten "
    "instruction only."
)


@dataclass
class ParaphraseOutcome:
    record: Record
    status: str  # "paraphrased" | "rejected:<reason>" | "unchanged"


def gold_calls(record: Record) -> list[ToolCall]:
    """The calls the first assistant turn must produce (empty for no-call records)."""
    return list(record.steps[0].tool_calls) if record.steps else []


def same_calls(a: Sequence[ToolCall], b: Sequence[ToolCall]) -> bool:
    """Equal as multisets of (name, canonical arguments)."""
    return Counter(c.signature() for c in a) == Counter(c.signature() for c in b)


def paraphrase_records(
    records: Sequence[Record],
    generator: Generator,
    rngs: Sequence[random.Random],
    *,
    probability: float = 1.0,
    verify: bool = True,
    max_tokens: int = 256,
) -> list[ParaphraseOutcome]:
    """Paraphrase the task instruction of ``records`` (one batched generate call per phase)."""
    outcomes = [ParaphraseOutcome(r, "unchanged") for r in records]
    chosen = [
        i for i, r in enumerate(records) if r.task_instruction.strip() and rngs[i].random() < probability
    ]
    if not chosen:
        return outcomes
    requests = [
        ChatRequest(
            messages=[
                Message(role="system", content=PARAPHRASE_SYSTEM),
                Message(role="user", content=records[i].task_instruction),
            ],
            max_tokens=max_tokens,
            temperature=0.7,
            seed=rngs[i].randrange(2**31),
            metadata={"task": "paraphrase", "record_id": records[i].id},
        )
        for i in chosen
    ]
    candidates: list[tuple[int, Record]] = []
    for i, response in zip(chosen, generator.generate(requests), strict=True):
        text = response.text.strip().strip('"').strip()
        if response.error or not text:
            outcomes[i].status = "rejected:generation_failed"
        elif text == records[i].task_instruction.strip():
            outcomes[i].status = "rejected:identical"
        else:
            candidates.append((i, records[i].model_copy(update={"task_instruction": text})))
    if not verify:
        for i, candidate in candidates:
            outcomes[i] = ParaphraseOutcome(candidate, "paraphrased")
        return outcomes
    checks = [
        ChatRequest(
            messages=[
                Message(role="user", content=render_prompt(candidate, PromptStyle(output_format="xlam_json")))
            ],
            tools=candidate.tools,
            max_tokens=max_tokens,
            temperature=0.0,
            metadata={"task": "paraphrase_verify", "record_id": candidate.id},
        )
        for _, candidate in candidates
    ]
    for (i, candidate), response in zip(candidates, generator.generate(checks), strict=True):
        if response.error:
            outcomes[i].status = "rejected:verification_failed"
            continue
        calls = list(response.tool_calls)
        if not calls:
            try:
                calls = decode_calls(response.text)
            except ValueError:
                outcomes[i].status = "rejected:unparseable_verification"
                continue
        if same_calls(calls, gold_calls(candidate)):
            outcomes[i] = ParaphraseOutcome(candidate, "paraphrased")
        else:
            outcomes[i].status = "rejected:calls_changed"
    return outcomes
