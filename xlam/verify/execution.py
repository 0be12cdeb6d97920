"""Execution checker (APIGen stage 2): run each record's calls against real executable tools.

All calls of a batch of records run in one sandboxed child process
(:func:`xlam.tools.sandbox.execute_calls`). A record whose calls fail is rejected with the error
class (``execution:timeout``, ``execution:exception:TypeError``...); records that pass can get
their empty observations filled from the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xlam.records import Record, ToolCall
from xlam.tools import ToolRegistry, execute_calls
from xlam.verify.config import VerifyConfig
from xlam.verify.issues import Issue


@dataclass
class ExecutionOutcome:
    """Per-record result: the (observation-filled) record, issues, and whether it was skipped."""

    record: Record
    issues: list[Issue] = field(default_factory=list)
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return not any(i.rejects for i in self.issues)


def check_execution(
    records: Sequence[Record], registry: ToolRegistry, config: VerifyConfig
) -> list[ExecutionOutcome]:
    """Execute the calls of ``records`` (one sandbox process for the batch)."""
    outcomes = [ExecutionOutcome(record=r) for r in records]
    calls: list[ToolCall] = []
    owners: list[tuple[int, int, int]] = []  # (record index, step, call)
    for r, record in enumerate(records):
        record_calls = [
            (s, c, call) for s, step in enumerate(record.steps) for c, call in enumerate(step.tool_calls)
        ]
        if not record_calls:
            outcomes[r].skipped = "no_calls"
            continue
        missing = sorted({call.name for _, _, call in record_calls if call.name not in registry})
        if missing:
            if config.missing_tool == "skip":
                outcomes[r].skipped = "tool_not_in_registry"
                continue
            for s, c, call in record_calls:
                if call.name in missing:
                    outcomes[r].issues.append(
                        _issue("undefined_tool", f"no executable tool {call.name!r}", s, c)
                    )
            continue
        for s, c, call in record_calls:
            calls.append(call)
            owners.append((r, s, c))
    results = execute_calls(calls, registry, config.limits) if calls else []
    observed: dict[int, dict[tuple[int, int], object]] = {}
    for (r, s, c), result in zip(owners, results, strict=True):
        if result.ok:
            observed.setdefault(r, {})[(s, c)] = result.value
        else:
            outcomes[r].issues.append(_issue(result.error_class or "error", result.message, s, c))
    if config.fill_observations:
        for r, values in observed.items():
            outcome = outcomes[r]
            if outcome.issues:
                continue
            outcome.record = fill_observations(outcome.record, values)
    return outcomes


def fill_observations(record: Record, values: dict[tuple[int, int], object]) -> Record:
    """Copy of ``record`` whose steps without observations get the executed results."""
    steps = list(record.steps)
    changed = False
    for s, step in enumerate(steps):
        if (
            step.tool_calls
            and not step.observations
            and all((s, c) in values for c in range(len(step.tool_calls)))
        ):
            steps[s] = step.model_copy(
                update={"observations": [values[(s, c)] for c in range(len(step.tool_calls))]}
            )
            changed = True
    return record.model_copy(update={"steps": steps}) if changed else record


def _issue(error_class: str, message: str, step: int, call: int) -> Issue:
    return Issue(
        code=f"execution:{error_class}",
        message=message or error_class,
        field=f"steps[{step}].tool_calls[{call}]",
        stage="execution",
    )
