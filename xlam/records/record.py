"""The unified record: one agent trajectory in xLAM's modular form.

A record holds the task instruction, the available tools, the format instruction, few-shot
examples, the user's query, the agent's steps (thoughts, tool calls, observations, replies,
user follow-ups) and the final answer. It also carries provenance, optional BFCL-style ground
truth and an optional rejected response for preference (DPO) data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xlam.records.calls import Step, ToolCall
from xlam.records.hashing import content_hash
from xlam.records.tool import Tool

SCHEMA_VERSION = "1.1"
# 1.1 (additive): ``Record.environment`` (the executable environment and its initial state) and
# ``Step.tools_added`` (tools that appear at a later turn). Every 1.0 record is a valid 1.1 record.
LATEST_SCHEMA_VERSION = "1.2"
# 1.2 (additive): ``EnvironmentSnapshot.components``: a dialogue over several environments at once
# (``name`` "bank+filesystem", ``initial_state`` keyed by component). Only records that use it say
# 1.2; everything else is still written as 1.1 (``SCHEMA_VERSION``), and every 1.1 record is a valid
# 1.2 record.


class Category(StrEnum):
    """Shape of the expected behaviour (BFCL vocabulary, plus agentic shapes)."""

    SIMPLE = "simple"  # one tool offered, one call
    MULTIPLE = "multiple"  # several tools offered, one call
    PARALLEL = "parallel"  # one tool, several calls in one step
    PARALLEL_MULTIPLE = "parallel_multiple"  # several tools, several calls in one step
    IRRELEVANCE = "irrelevance"  # no tool fits: the answer is no call
    RELEVANCE = "relevance"  # some call is expected; its arguments are not checked
    CLARIFICATION = "clarification"  # the agent asks for missing information
    MULTI_STEP = "multi_step"  # several sequential calls (ReAct / trajectories)
    MULTI_TURN = "multi_turn"  # several user turns
    CHAT = "chat"  # no tools: general instruction data


class FewShotExample(BaseModel):
    """A demonstration shown in the prompt."""

    model_config = ConfigDict(extra="forbid")

    query: str
    steps: list[Step] = Field(default_factory=list)
    answer: str | None = None


class Provenance(BaseModel):
    """Where a record came from and what was done to it."""

    model_config = ConfigDict(extra="forbid")

    parents: list[str] = Field(default_factory=list, description="Ids of the records this one derives from.")
    transformations: list[str] = Field(
        default_factory=list, description="Transformations applied, in order, e.g. 'shuffle_tools(seed=3)'."
    )
    generator: str | None = Field(default=None, description="Generator (model or template) that produced it.")
    source_location: str | None = Field(default=None, description="File and line (or row) in the source.")
    checks: list[str] = Field(default_factory=list, description="Verification checks this record passed.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Stage-specific metadata.")


class GroundTruth(BaseModel):
    """BFCL-style allowed values: each expected call maps every parameter to its list of accepted
    values (``""`` in the list marks the parameter optional). Multi-turn ground truth is a list per
    user turn of Python call strings."""

    model_config = ConfigDict(extra="forbid")

    calls: list[dict[str, dict[str, list[Any]]]] = Field(default_factory=list)
    turns: list[list[str]] | None = None


class EnvironmentSnapshot(BaseModel):
    """The executable, stateful environment a multi-turn record ran against (schema 1.1).

    Replaying the record's calls on ``name`` loaded with ``initial_state`` must give the state whose
    hash is ``final_state_sha256`` (``xlam.envs``; the content hash of the state's JSON)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Environment name, e.g. 'bank' (xlam.envs.ENVIRONMENTS).")
    initial_state: dict[str, Any] = Field(default_factory=dict, description="The state before the first turn.")
    final_state_sha256: str | None = Field(default=None, description="Content hash of the state after the last turn.")
    components: list[str] | None = Field(
        default=None, min_length=2,
        description="Schema 1.2, a mixed dialogue: the environments it uses at once. ``name`` is then "
                    "'+'.join(components) and ``initial_state`` maps each component to its state (the "
                    "hash is over that whole dict).")

    @model_validator(mode="after")
    def _check_components(self) -> EnvironmentSnapshot:
        if self.components is not None:
            if self.name != "+".join(self.components):
                raise ValueError(f"name {self.name!r} must be the components joined with '+'")
            unknown = sorted(set(self.initial_state) - set(self.components))
            if unknown:
                raise ValueError(f"initial_state has {unknown[0]!r}, which is not a component")
        return self


class Rejected(BaseModel):
    """A dispreferred alternative for the record's last assistant turn (preference data)."""

    model_config = ConfigDict(extra="forbid")

    step: Step = Field(description="The rejected assistant output (thought, calls or reply).")
    reason: str = Field(default="", description="Why it is worse: the failed check or the corruption.")
    kind: str = Field(default="", description="Corruption type or failing stage, e.g. 'wrong_function'.")


class Record(BaseModel):
    """One unified trajectory. ``id`` is the source id when the source has one, else the content hash."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    id: str = Field(min_length=1)
    source: str = Field(default="", description="Source dataset or converter name.")
    category: Category | None = Field(default=None, description="Expected behaviour; inferred when absent.")
    task_instruction: str = ""
    tools: list[Tool] = Field(default_factory=list)
    format_instruction: str = ""
    few_shot: list[FewShotExample] = Field(default_factory=list)
    query: str = Field(default="", description="The user's first request.")
    steps: list[Step] = Field(default_factory=list)
    answer: str | None = Field(default=None, description="Final reply to the user after the last step.")
    ground_truth: GroundTruth | None = None
    rejected: Rejected | None = None
    environment: EnvironmentSnapshot | None = Field(
        default=None, description="Multi-turn: the executable environment and its initial state (schema 1.1).")
    provenance: Provenance = Field(default_factory=Provenance)
    meta: dict[str, Any] = Field(default_factory=dict, description="Source fields with no place above.")

    # --- identity ---------------------------------------------------------------------------
    def content(self) -> dict[str, Any]:
        """The fields that define what the record says (not who made it or what it is called)."""
        return self.model_dump(
            mode="json", exclude={"schema_version", "id", "source", "provenance", "meta"}, exclude_none=True
        )

    def content_hash(self) -> str:
        """Stable sha256 of :meth:`content`: same content -> same hash on every machine."""
        return content_hash(self.content())

    def with_content_id(self) -> Record:
        return self.model_copy(update={"id": "rec-" + self.content_hash()[:20]})

    # --- views ------------------------------------------------------------------------------
    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)

    def all_calls(self) -> list[ToolCall]:
        return [call for step in self.steps for call in step.tool_calls]

    def inferred_category(self) -> Category:
        """The explicit category, or one inferred from the shape of the steps."""
        if self.category is not None:
            return self.category
        if not self.tools:
            return Category.CHAT
        steps = self.steps
        call_steps = [s for s in steps if s.tool_calls]
        if any(s.user_input for s in steps):
            return Category.MULTI_TURN if call_steps else Category.CLARIFICATION
        if not call_steps:
            return Category.IRRELEVANCE
        if len(call_steps) > 1:
            return Category.MULTI_STEP
        calls = call_steps[0].tool_calls
        many_tools = len(self.tools) > 1
        if len(calls) > 1:
            distinct = len({c.name for c in calls}) > 1
            return Category.PARALLEL_MULTIPLE if distinct or many_tools else Category.PARALLEL
        return Category.MULTIPLE if many_tools else Category.SIMPLE
