"""The typed configuration of the verify stage (used by the CLI, kfp components and the API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xlam.generators import GeneratorConfig
from xlam.tools.sandbox import SandboxLimits
from xlam.verify.issues import SeverityOverride, Stage

ALL_STAGES: tuple[Stage, ...] = ("rules", "execution", "semantic")


class VerifyConfig(BaseModel):
    """Which checks run and how strict they are.

    Stages run in order rules -> execution -> semantic; a record rejected by one stage is not sent
    to the next. Execution runs only with ``tools`` set; the semantic judge only with ``judge``
    set to a model backend (the ``template`` backend has no judgement: the stage is skipped)."""

    model_config = ConfigDict(extra="forbid")

    stages: list[Stage] = Field(
        default_factory=lambda: list(ALL_STAGES), description="Stages to run, in order."
    )
    rules: list[str] | None = Field(
        default=None, description="Rule codes to run (None: every registered rule)."
    )
    disabled_rules: list[str] = Field(default_factory=list, description="Rule codes not to run.")
    severity: dict[str, SeverityOverride] = Field(
        default_factory=dict,
        description="Per-rule severity override: error (rejects), warning (flags) or off.",
    )
    autofix: bool = Field(default=True, description="Apply lossless fixes (safe casts, enum case, defaults).")
    grounding_threshold: float = Field(
        default=85.0, ge=0, le=100, description="rapidfuzz score (0-100) for a value to count as grounded."
    )
    grounding_min_length: int = Field(default=3, ge=1, description="Shorter string values are not checked.")
    reject_ungrounded: bool = Field(default=False, description="Make ungrounded_argument_value an error.")
    require_thought: bool = Field(default=False, description="Steps with calls must carry a thought.")
    output_format: str | None = Field(
        default=None, description="xlam.formats name for raw outputs in meta.raw_output (None: auto-detect)."
    )
    tools: str | None = Field(
        default=None, description="Executable tool registry: JSONL path/URI or 'module:<dotted.module>'."
    )
    limits: SandboxLimits = Field(default_factory=SandboxLimits, description="Sandbox limits per call.")
    fill_observations: bool = Field(
        default=True, description="Fill empty observations from execution results."
    )
    missing_tool: Literal["skip", "reject"] = Field(
        default="skip",
        description="Records calling tools absent from the registry: skip execution for them, or reject.",
    )
    execution_batch: int = Field(
        default=64, ge=1, description="Records whose calls share one sandbox process."
    )
    judge: GeneratorConfig | None = Field(
        default=None, description="Semantic judge backend (None: no judge)."
    )
    judge_batch: int = Field(default=16, ge=1, description="Records per judge generate() call.")
    judge_max_tokens: int = Field(default=256, ge=16)
    on_error: Literal["fail", "skip"] = Field(
        default="fail",
        description="Invalid input records: stop with an error, or skip them into the rejects.",
    )

    def rule_severity(self, code: str, default: str) -> str:
        if code == "ungrounded_argument_value" and self.reject_ungrounded and code not in self.severity:
            return "error"
        return self.severity.get(code, default)
