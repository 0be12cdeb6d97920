"""Multi-turn records for training: which assistant turns belong to which user turn, and which tools
the agent had at each turn.

A multi-turn record's assistant turns (tool-call steps, replies, the final answer) are grouped by the
user turn they answer. ``per_user_turn`` expansion trains one example per user turn with loss on
every assistant turn of it (its tool calls and its reply), the earlier turns as masked context.
Tools that appear at a later turn (``Step.tools_added``, missing-function dialogues) are left out
of the prompt of the turns before it: each group is rendered from a *view* of the record whose
``tools`` are those available then.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlam.records import Record


def _is_target(step: object) -> bool:
    return bool(getattr(step, "tool_calls", None) or getattr(step, "response", "") or getattr(step, "thought", ""))


@dataclass(frozen=True)
class TargetInfo:
    """One assistant turn: its index among the record's targets, its user turn and the tools it had."""

    index: int
    user_turn: int
    tools: frozenset[str]


def targets(record: Record) -> list[TargetInfo]:
    """Every assistant turn of ``record`` in order (the final answer last), as the renderer counts them."""
    later = {n for s in record.steps for n in (s.tools_added or [])}
    available = {t.name for t in record.tools} - later
    out: list[TargetInfo] = []
    user_turn = 0
    for step in record.steps:
        if _is_target(step):
            out.append(TargetInfo(len(out), user_turn, frozenset(available)))
        if step.user_input:
            user_turn += 1
        available |= set(step.tools_added or [])
    if record.answer is not None:
        out.append(TargetInfo(len(out), user_turn, frozenset(available)))
    return out


def has_late_tools(record: Record) -> bool:
    return any(s.tools_added for s in record.steps)


def view(record: Record, tools: frozenset[str]) -> Record:
    """``record`` offering only ``tools`` (same steps, so target indices are unchanged)."""
    if len(tools) == len(record.tools):
        return record
    return record.model_copy(update={"tools": [t for t in record.tools if t.name in tools]})


def groups(record: Record, *, by_user_turn: bool) -> list[tuple[frozenset[str], list[int]]]:
    """(tool set, target indices) per example group: per user turn, or per assistant turn."""
    infos = targets(record)
    out: list[tuple[frozenset[str], list[int]]] = []
    for info in infos:
        if by_user_turn and out and infos[out[-1][1][-1]].user_turn == info.user_turn:
            out[-1][1].append(info.index)
        else:
            out.append((info.tools, [info.index]))
    return out


__all__ = ["TargetInfo", "groups", "has_late_tools", "targets", "view"]
