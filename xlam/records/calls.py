"""Tool calls and agent steps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ToolCall(BaseModel):
    """One call of a tool: its name and keyword arguments."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    name: str = Field(min_length=1, description="Name of the called tool.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments, as JSON values.")
    id: str | None = Field(default=None, description="Call id (OpenAI `tool_call_id`), when the source has one.")

    def signature(self) -> tuple[str, str]:
        """(name, canonical arguments) used to compare calls ignoring ids."""
        from xlam.records.hashing import canonical_json

        return self.name, canonical_json(self.arguments).decode()


class Step(BaseModel):
    """One agent turn: an optional thought, zero or more (parallel) tool calls, one observation
    per call, an optional text reply to the user, and the user's follow-up message if any.

    - single/parallel call: ``tool_calls`` has 1/n entries and ``observations`` (once executed) as many;
    - clarification: no calls, ``response`` asks the user, ``user_input`` holds the answer;
    - ReAct: ``thought`` + one call + its observation per step.
    """

    model_config = ConfigDict(extra="forbid")

    thought: str = Field(default="", description="Reasoning before acting (may be empty).")
    tool_calls: list[ToolCall] = Field(default_factory=list, description="Calls made in this step, in order.")
    observations: list[Any] = Field(
        default_factory=list,
        description=(
            "Environment result of each call, aligned with tool_calls (empty if not executed). "
            "A mismatch is reported by the verifier (rule observation_count), not refused here."
        ),
    )
    response: str = Field(default="", description="Text the agent says to the user in this step (no-call steps).")
    user_input: str = Field(default="", description="The user's follow-up message after this step, if any.")
    tools_added: list[str] | None = Field(
        default=None,
        description=(
            "Multi-turn (schema 1.1): names of record tools that become available with this step's "
            "user_input (missing-function turns). A tool named here is not available before."
        ),
    )

    @property
    def is_call(self) -> bool:
        return bool(self.tool_calls)
