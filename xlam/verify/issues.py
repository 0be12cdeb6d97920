"""What verification reports: issues (rule code, message, field path, severity, fix) and verdicts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xlam.records import Record

Severity = Literal["error", "warning"]
SeverityOverride = Literal["error", "warning", "off"]
Stage = Literal["rules", "execution", "semantic"]


class Issue(BaseModel):
    """One finding. ``fixed`` issues were repaired losslessly (``fix`` says how) and do not reject."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable rule code, e.g. 'wrong_type' or 'execution:timeout'.")
    message: str
    field: str = Field(default="", description="Field path, e.g. steps[0].tool_calls[1].arguments.city.")
    severity: Severity = "error"
    stage: Stage = "rules"
    fixed: bool = False
    fix: str | None = Field(default=None, description="The auto-fix applied, e.g. 'cast \"5\" -> 5'.")

    @property
    def rejects(self) -> bool:
        return self.severity == "error" and not self.fixed

    def describe(self) -> str:
        where = f" at {self.field}" if self.field else ""
        return f"[{self.code}]{where}: {self.message}" + (f" (fixed: {self.fix})" if self.fixed else "")


class Verdict(BaseModel):
    """Outcome for one record: ``ok`` unless an unfixed error was found; ``record`` is the
    (auto-fixed) record to keep."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    issues: list[Issue] = Field(default_factory=list)
    record: Record
    failed_stage: Stage | None = None
    stages_run: list[Stage] = Field(default_factory=list)
    stages_skipped: list[Stage] = Field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.rejects]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def fixes(self) -> list[Issue]:
        return [i for i in self.issues if i.fixed]
