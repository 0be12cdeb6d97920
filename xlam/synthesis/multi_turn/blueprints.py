"""Phase 1 of APIGen-MT: task blueprints.

A blueprint is a user goal over one environment: a seeded initial state, a persona, and an ordered
list of goal turns (:class:`~xlam.synthesis.multi_turn.blueprint.Task`), each with its ground-truth
calls and the state change it must make. Dialogue features are decided here too: which turns need a
clarification, an off-domain request the agent must decline, a tool withheld until a later turn
(missing function) and a large state with a long listing (long context).

:func:`check_blueprint` runs the three stages: **format** (every call names a tool of the
environment and its arguments validate against the harvested JSON Schema), **execution** (every
call succeeds on a fresh environment) and **semantic** (each turn changes the state exactly as its
goal says: the expected paths change to the expected values and nothing else changes; read-only
turns change nothing).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from xlam.envs import get_environment, open_environment
from xlam.envs.mixed import SEPARATOR
from xlam.records import Tool, ToolCall
from xlam.synthesis.checks import call_issues
from xlam.synthesis.multi_turn.blueprint import Task, check_effects
from xlam.synthesis.multi_turn.config import MultiTurnConfig
from xlam.synthesis.multi_turn.tasks import DOMAINS


@dataclass
class Blueprint:
    """A sampled goal and everything phase 2 needs to turn it into a dialogue."""

    id: str
    env: str
    initial_state: dict[str, Any]
    persona: dict[str, Any]
    tasks: list[Task]
    clarify: list[bool]
    irrelevant_at: int | None = None
    irrelevant_text: str = ""
    withheld: str | None = None
    withheld_at: int | None = None
    long_context: bool = False
    closing: bool = False
    origin: str = "sampled"
    primary: str = ""  # mixed: the environment it was sampled for (output shares follow the weights)
    distractors: list[str] = field(default_factory=list)  # environments whose tools are offered, never needed
    # filled by the checks
    observations: list[list[list[Any]]] = field(default_factory=list)
    final_state: dict[str, Any] | None = None
    final_hash: str = ""

    @property
    def components(self) -> list[str]:
        """The environments it runs on (several for a mixed blueprint, ``env`` = their names joined by '+')."""
        return self.env.split(SEPARATOR)

    @property
    def mixed(self) -> bool:
        return SEPARATOR in self.env

    @property
    def offered_environments(self) -> list[str]:
        """The environments whose tools the agent is offered: the components, plus any distractors (sorted)."""
        return sorted({*self.components, *self.distractors}) if self.distractors else self.components

    @property
    def calls(self) -> list[ToolCall]:
        return [c for t in self.tasks for group in t.calls for c in group]

    def goal(self) -> str:
        """The user's goal in plain words (every turn's full request)."""
        return " ".join(t.say[0].format(**voiced(t.slots)) for t in self.tasks)

    def turn_kinds(self) -> list[str]:
        kinds = []
        for i, task in enumerate(self.tasks):
            if self.irrelevant_at == i:
                kinds.append("irrelevance")
            if self.withheld_at == i:
                kinds.append("missing_function")
            kinds.append("long_context" if task.long_context else "clarification" if self.clarify[i] else "base")
        if self.irrelevant_at == len(self.tasks):
            kinds.append("irrelevance")
        if self.closing:
            kinds.append("closing")
        return kinds


def voiced(slots: dict[str, Any]) -> dict[str, str]:
    """Slot values as the user says them (whole-number floats without ``.0``)."""
    out = {}
    for key, value in slots.items():
        if isinstance(value, float) and value.is_integer():
            out[key] = str(int(value))
        elif isinstance(value, float):
            out[key] = f"{value:.2f}"
        else:
            out[key] = str(value)
    return out


@dataclass
class Outcome:
    """Checks passed, and the failing stage with its reasons."""

    passed: list[str] = field(default_factory=list)
    failed_stage: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed_stage is None

    def fail(self, stage: str, reasons: list[str]) -> Outcome:
        self.failed_stage, self.reasons = stage, reasons
        return self


class SamplingError(Exception):
    """No goal could be sampled from this state (e.g. a fixed initial state without customers)."""


def initial_for(env_name: str, rng: random.Random, config: MultiTurnConfig, *, long_context: bool) -> dict[str, Any]:
    """The configured fixed initial state of ``env_name``, or a seeded one."""
    cls = get_environment(env_name)
    spec = config.environment_configs.get(env_name)
    if spec is not None and spec.initial_state is not None:
        return cls(spec.initial_state).state_dict()
    return cls.initial_state(rng.randrange(2**31), long_context=long_context)


def sample_blueprint(env_name: str, rng: random.Random, config: MultiTurnConfig, bp_id: str) -> Blueprint:
    """Draw a goal over ``env_name``: state, persona, goal turns and dialogue features."""
    cls = get_environment(env_name)
    domain = DOMAINS[env_name]
    long_context = rng.random() < config.long_context_rate
    initial = initial_for(env_name, rng, config, long_context=long_context)
    scratch = cls(initial)
    try:
        persona = domain.persona(scratch.state_dict(), rng)
    except (StopIteration, IndexError, ValueError, KeyError) as exc:
        raise SamplingError(f"no persona in this state: {type(exc).__name__}") from exc
    n_turns = rng.randint(config.min_turns, config.max_turns)
    long_at = rng.randrange(n_turns) if long_context else None
    tasks: list[Task] = []
    for i in range(n_turns):
        seen = {(t.kind, repr(sorted(t.slots.items()))) for t in tasks}
        task = None
        for _ in range(5):  # the same request twice in one dialogue is not a goal
            task = domain.sample(scratch.state_dict(), rng, persona, long_context=i == long_at)
            if task is None or (task.kind, repr(sorted(task.slots.items()))) not in seen:
                break
        else:
            task = None
        if task is None:
            raise SamplingError("no applicable task")
        tasks.append(task)
        for group in task.calls:
            for call in group:
                scratch.execute(call)  # the next goal is drawn from the state this one leaves
    clarify = [bool(t.omit) and rng.random() < config.clarification_rate for t in tasks]
    bp = Blueprint(bp_id, env_name, initial, persona, tasks, clarify, long_context=long_context)
    if rng.random() < config.irrelevance_rate:
        bp.irrelevant_at = rng.randint(0, n_turns)
        bp.irrelevant_text = rng.choice(domain.irrelevant)
    if rng.random() < config.missing_function_rate:
        _withhold(bp, rng)
    bp.closing = rng.random() < config.closing_rate
    return bp


def _withhold(bp: Blueprint, rng: random.Random) -> None:
    """Withhold a tool first needed by a later goal turn (not used before it)."""
    options = []
    for i, task in enumerate(bp.tasks):
        earlier = {n for t in bp.tasks[:i] for n in t.tool_names()}
        options += [(i, name) for name in task.tool_names() if name not in earlier]
    if options:
        bp.withheld_at, bp.withheld = rng.choice(options)


def check_blueprint(bp: Blueprint, tools: list[Tool]) -> Outcome:
    """format -> execution -> semantic; fills ``observations`` and the final state on success."""
    out = Outcome()
    by_name = {t.name: t for t in tools}
    issues = [f"{i}@turn{k + 1}" for k, task in enumerate(bp.tasks) for group in task.calls for call in group
              for i in call_issues(call, by_name)]
    if issues:
        return out.fail("blueprint:format", issues)
    out.passed.append("blueprint:format")
    env = open_environment(bp.env, bp.initial_state)
    observations: list[list[list[Any]]] = []
    befores, afters = [], []
    for k, task in enumerate(bp.tasks):
        befores.append(env.state_dict())
        turn_obs: list[list[Any]] = []
        for group in task.calls:
            results = [env.execute(call) for call in group]
            failed = [f"{r.error}@{c.name}(turn {k + 1}): {r.message[:120]}" for c, r in zip(group, results, strict=True)
                      if not r.ok]
            if failed:
                return out.fail("blueprint:execution", failed)
            turn_obs.append([r.value for r in results])
        observations.append(turn_obs)
        afters.append(env.state_dict())
    out.passed.append("blueprint:execution")
    semantic = [f"{i}@turn{k + 1}" for k, task in enumerate(bp.tasks)
                for i in [*task.carry_issues(observations[k]),
                          *(check_effects(befores[k], afters[k], task.expects) if task.expects is not None else [])]]
    if semantic:
        return out.fail("blueprint:semantic", semantic)
    undeclared = any(task.expects is None for task in bp.tasks)
    out.passed.append("blueprint:semantic:partial" if undeclared else "blueprint:semantic")
    bp.observations = observations
    bp.final_state = env.state_dict()
    bp.final_hash = env.state_hash()
    return out


__all__ = ["Blueprint", "Outcome", "SamplingError", "check_blueprint", "initial_for", "sample_blueprint", "voiced"]
