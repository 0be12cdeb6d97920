"""The typed configuration of multi-turn (APIGen-MT-style) synthesis."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xlam.generators import GeneratorConfig
from xlam.stable_dump import StableDumpModel

ALL_ENVIRONMENTS: tuple[str, ...] = ("filesystem", "retail", "calendar", "bank")


class EnvironmentSpec(BaseModel):
    """Per-environment settings: a sampling weight and, optionally, a fixed initial state (instead of
    the seeded ones); the state is validated against the environment's state model."""

    model_config = ConfigDict(extra="forbid")

    weight: float = Field(default=1.0, gt=0, description="Relative share of dialogues in this environment.")
    initial_state: dict[str, Any] | None = Field(default=None, description="Fixed initial state (JSON).")


class MultiTurnConfig(StableDumpModel):
    """APIGen-MT: phase 1 samples task blueprints (goal + ground-truth calls) and keeps those that pass
    format -> execution -> semantic checks; phase 2 simulates the dialogue and keeps it if replaying its
    calls reaches the blueprint's final state."""

    model_config = ConfigDict(extra="forbid")
    #: added after dialogues were first keyed: dumped (and hashed) only when set (xlam.stable_dump)
    added_later: ClassVar[tuple[str, ...]] = ("distractor_environments",)

    n: int = Field(default=100, ge=1, description="Verified dialogues to produce.")
    environments: list[str] = Field(default_factory=lambda: list(ALL_ENVIRONMENTS), min_length=1,
                                    description="Environments to draw from (xlam.envs).")
    environment_configs: dict[str, EnvironmentSpec] = Field(default_factory=dict,
                                                            description="Per-environment weight / initial state.")
    min_turns: int = Field(default=2, ge=1, le=12, description="Fewest goal turns (user requests that need tools).")
    max_turns: int = Field(default=4, ge=1, le=12, description="Most goal turns.")
    clarification_rate: float = Field(default=0.25, ge=0, le=1,
                                      description="Chance a goal turn omits a detail the agent must ask for.")
    irrelevance_rate: float = Field(default=0.2, ge=0, le=1,
                                    description="Chance a dialogue has an off-domain request the agent declines.")
    missing_function_rate: float = Field(default=0.15, ge=0, le=1,
                                         description="Chance a needed tool is withheld until a later turn.")
    long_context_rate: float = Field(default=0.1, ge=0, le=1,
                                     description="Chance of a large initial state and a long listing turn.")
    closing_rate: float = Field(default=0.3, ge=0, le=1, description="Chance the user ends with a thank-you turn.")
    user_deviation_rate: float = Field(
        default=0.02, ge=0, le=1,
        description="Chance the simulated user answers a clarification without the detail (the grounding "
                    "check must then reject the trajectory).")
    mixed_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Chance a dialogue combines two environments (one state each, the union of their tools, "
                    "interleaved goal turns and a turn that carries a value from one into the other).")
    mixed_size: int = Field(default=2, ge=2, le=4,
                            description="Environments per mixed dialogue (at most the configured environments).")
    distractor_environments: int = Field(
        default=0, ge=0, le=3,
        description="Further environments whose whole tool sets are offered but never needed (BFCL offers "
                    "whole API classes): drawn per dialogue from the known environments it does not use, with "
                    "a seeded rng of its own; 0 (the default) leaves the output byte-identical to before.")
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig,
                                       description="template: seeded phrasing; hf/openai: an LLM rephrases user turns.")
    seed: int = Field(default=0, description="Seed of every sampler.")
    batch_size: int = Field(default=64, ge=1, description="Dialogues per generation batch (LLM rephrasing).")
    max_attempts: int | None = Field(default=None, ge=1, description="Most blueprints sampled (default 4 * n).")
    source: str = Field(default="synthesis-mt", description="The output records' source name.")

    @model_validator(mode="after")
    def _check(self) -> MultiTurnConfig:
        from xlam.envs import ENVIRONMENTS

        unknown = [e for e in [*self.environments, *self.environment_configs] if e not in ENVIRONMENTS]
        if unknown:
            raise ValueError(f"unknown environment {unknown[0]!r}; known: {', '.join(sorted(ENVIRONMENTS))}")
        if self.max_turns < self.min_turns:
            raise ValueError(f"max_turns ({self.max_turns}) < min_turns ({self.min_turns})")
        self.environments = list(dict.fromkeys(self.environments))
        for name, spec in self.environment_configs.items():
            if spec.initial_state is not None:
                ENVIRONMENTS[name](spec.initial_state)  # raises EnvConfigError naming the field
        return self


__all__ = ["ALL_ENVIRONMENTS", "EnvironmentSpec", "MultiTurnConfig"]
