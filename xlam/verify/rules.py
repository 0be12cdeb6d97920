"""The rule registry and the context rules run in.

A rule is a function ``check(ctx) -> None`` that reports issues with ``ctx.issue(...)`` and may
apply a lossless fix through ``ctx.set_argument`` / ``ctx.replace_steps`` (recorded on the issue).
Register your own with the :func:`rule` decorator::

    @rule("no_delete_calls", "Calls to delete_* tools are not allowed in this dataset")
    def _no_delete(ctx: RuleContext) -> None:
        for s, c, call in ctx.calls():
            if call.name.startswith("delete_"):
                ctx.issue("delete call", ctx.call_path(s, c))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xlam.records import Record, Step, Tool, ToolCall
from xlam.verify.config import VerifyConfig
from xlam.verify.issues import Issue, Severity
from xlam.verify.schema import CallCheck, ToolInfo, analyse_call, tool_info

RuleFn = Callable[["RuleContext"], None]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: stable ``code``, default ``severity``, and its check function."""

    code: str
    description: str
    check: RuleFn
    severity: Severity = "error"
    fixes: bool = False


RULES: dict[str, Rule] = {}


def register_rule(new: Rule, *, replace: bool = False) -> Rule:
    if new.code in RULES and not replace:
        raise ValueError(f"rule {new.code!r} is already registered")
    RULES[new.code] = new
    return new


def rule(
    code: str, description: str, *, severity: Severity = "error", fixes: bool = False, replace: bool = False
) -> Callable[[RuleFn], RuleFn]:
    """Decorator registering ``fn`` as rule ``code``."""

    def deco(fn: RuleFn) -> RuleFn:
        register_rule(Rule(code, description, fn, severity, fixes), replace=replace)
        return fn

    return deco


class RuleContext:
    """One record under check. ``record`` becomes a private copy on the first fix."""

    __slots__ = (
        "_calls",
        "_checks",
        "_copied",
        "_infos",
        "_tools",
        "code",
        "config",
        "issues",
        "original",
        "record",
        "severity",
    )

    def __init__(self, record: Record, config: VerifyConfig) -> None:
        self.original = record
        self.record = record
        self.config = config
        self.issues: list[Issue] = []
        self.code = ""
        self.severity: str = "error"
        self._copied = False
        self._tools: dict[str, Tool] | None = None
        self._infos: dict[str, ToolInfo | None] = {}
        self._calls: list[tuple[int, int, ToolCall]] | None = None
        self._checks: list[CallCheck] | None = None

    # --- reporting -----------------------------------------------------------------------------
    def issue(self, message: str, field: str = "", *, fix: str | None = None) -> Issue:
        """Report an issue of the running rule; with ``fix`` it is recorded as fixed."""
        severity: Severity = "warning" if self.severity == "warning" else "error"
        found = Issue(
            code=self.code, message=message, field=field, severity=severity, fixed=fix is not None, fix=fix
        )
        self.issues.append(found)
        return found

    # --- views ---------------------------------------------------------------------------------
    @property
    def tools(self) -> dict[str, Tool]:
        if self._tools is None:
            self._tools = {t.name: t for t in self.record.tools}
        return self._tools

    def info(self, name: str) -> ToolInfo | None:
        """Compiled argument checks of the record's tool ``name`` (None if it has no such tool)."""
        try:
            return self._infos[name]
        except KeyError:
            tool = self.tools.get(name)
            found = self._infos[name] = tool_info(tool) if tool is not None else None
            return found

    def calls(self) -> list[tuple[int, int, ToolCall]]:
        """(step index, call index, call) for every call, in order (of the current record)."""
        if self._calls is None:
            self._calls = [
                (s, c, call)
                for s, step in enumerate(self.record.steps)
                for c, call in enumerate(step.tool_calls)
            ]
        return self._calls

    def checks(self) -> list[CallCheck]:
        """One pass over every call's arguments flagging what the argument rules must look at
        (shared by those rules; recomputed after any fix)."""
        if self._checks is None:
            self._checks = [analyse_call(s, c, call, self.info(call.name)) for s, c, call in self.calls()]
        return self._checks

    @staticmethod
    def call_path(step: int, call: int) -> str:
        return f"steps[{step}].tool_calls[{call}]"

    # --- fixes ---------------------------------------------------------------------------------
    def _own(self) -> Record:
        if not self._copied:
            self.record = self.record.model_copy(deep=True)
            self._copied = True
            self._tools = None
            self._calls = None
        self._checks = None
        return self.record

    def set_argument(self, step: int, call: int, name: str, value: Any) -> None:
        self._own().steps[step].tool_calls[call].arguments[name] = value
        self._checks = None

    def replace_steps(self, steps: list[Step]) -> None:
        self._own().steps = steps
        self._calls = None
        self._checks = None


def selected_rules(config: VerifyConfig) -> list[Rule]:
    """The rules ``config`` runs, in registration order."""
    return [entry for entry, _ in prepare_rules(config)]


def prepare_rules(config: VerifyConfig) -> list[tuple[Rule, str]]:
    """(rule, effective severity) for every rule ``config`` runs, in registration order."""
    import xlam.verify.builtin_rules  # noqa: F401 - registers the built-in rules

    wanted = set(config.rules) if config.rules is not None else None
    if wanted is not None and (unknown := wanted - set(RULES)):
        raise ValueError(f"unknown rule codes {sorted(unknown)}; known: {sorted(RULES)}")
    out = []
    for code, entry in RULES.items():
        severity = config.rule_severity(code, entry.severity)
        if (wanted is not None and code not in wanted) or code in config.disabled_rules or severity == "off":
            continue
        out.append((entry, severity))
    return out


def run_rules(
    record: Record, config: VerifyConfig, rules: list[tuple[Rule, str]] | None = None
) -> tuple[Record, list[Issue]]:
    """Run the rules on ``record``; returns the (possibly fixed) record and the issues.
    Pass ``rules=prepare_rules(config)`` when checking many records."""
    ctx = RuleContext(record, config)
    for entry, severity in rules if rules is not None else prepare_rules(config):
        ctx.code = entry.code
        ctx.severity = severity
        entry.check(ctx)
    return ctx.record, ctx.issues
