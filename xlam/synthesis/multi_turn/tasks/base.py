"""What every environment's task samplers share: the domain, the state and persona types, call and
value helpers."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlam.records import ToolCall
from xlam.synthesis.multi_turn.blueprint import Task
from xlam.synthesis.phrasing import voice_value

State = dict[str, Any]
Persona = dict[str, Any]
TaskFn = Callable[[State, random.Random, Persona], Task | None]


def C(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name=name, arguments=arguments)


def money(x: float) -> str:
    return f"${x:,.2f}"


def v(value: Any) -> str:
    return voice_value(value)


@dataclass
class Domain:
    """The tasks of one environment plus its persona, system prompt and off-domain requests."""

    env: str
    system: str
    persona: Callable[[State, random.Random], Persona]
    tasks: list[tuple[float, TaskFn]]
    long_tasks: list[TaskFn]
    irrelevant: list[str]
    greet: Callable[[Persona], list[str]] = field(default=lambda p: [""])

    def sample(self, state: State, rng: random.Random, persona: Persona, *, long_context: bool = False,
               exclude: set[str] | None = None) -> Task | None:
        pool = [(w, fn) for w, fn in self.tasks if not exclude or fn.__name__ not in exclude]
        fns = self.long_tasks if long_context else [fn for _, fn in pool]
        weights = None if long_context else [w for w, _ in pool]
        for _ in range(8):
            fn = rng.choices(fns, weights)[0]
            task = fn(state, rng, persona)
            if task is not None:
                task.long_context = task.long_context or long_context
                return task
        return None


__all__ = ["C", "Domain", "Persona", "State", "TaskFn", "money", "v"]
