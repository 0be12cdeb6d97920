"""Phase 2 of APIGen-MT: trajectories.

A simulated user reveals a verified blueprint's goal over several turns (greeting, one request
per goal turn, answers to clarification questions, an off-domain request, a thank-you); the agent
side follows the blueprint's calls and answers from their results. The **template** user is
seeded phrasing (persona tone, openers, connectors, several wordings per goal); with an **LLM**
generator (``hf``/``openai``) each user message is rephrased by the model, and a rephrasing that
drops a value of the goal is not used.

:func:`check_trajectory` keeps a dialogue only if it passes **format** (the record validates, every
call names a tool available at that point — withheld tools only after the turn that adds them —
and every question is answered), **grounding** (every argument value was said by the user or
returned by an earlier call before it is used) and **replay** (re-running the record's calls on a
fresh environment gives the same observations and the blueprint's final state).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from xlam.envs import environment_tools, open_environment
from xlam.envs.mixed import SEPARATOR
from xlam.records import (
    LATEST_SCHEMA_VERSION,
    Category,
    EnvironmentSnapshot,
    GroundTruth,
    Provenance,
    Record,
    Step,
    Tool,
    ToolCall,
    canonical_json,
)
from xlam.records.conversation import observation_text
from xlam.synthesis.checks import _supported
from xlam.synthesis.multi_turn.blueprint import call_string
from xlam.synthesis.multi_turn.blueprints import Blueprint, Outcome, voiced
from xlam.synthesis.multi_turn.tasks import DOMAINS
from xlam.synthesis.phrasing import intent_of

TONES = {
    "formal": {"open": ["", "Good day. ", "Hello. "], "next": ["Next, ", "Additionally, ", "I would also like this: ", ""],
               "thanks": ["Thank you, that is all.", "Thank you for your help.", "That will be all, thank you."],
               "reply": ["You're welcome. Have a good day.", "Glad I could help. Goodbye."]},
    "casual": {"open": ["Hey! ", "Hi! ", "Hiya, ", ""], "next": ["Cool. Now ", "Also, ", "Oh and ", "Next up: ", "One more: "],
               "thanks": ["Thanks a lot!", "Awesome, thanks!", "Perfect, that's all."],
               "reply": ["Anytime!", "You're welcome, have a great day!"]},
    "terse": {"open": [""], "next": ["", "Now: ", "Next: "], "thanks": ["Thanks.", "Done, thanks."],
              "reply": ["You're welcome.", "Glad to help."]},
}
_ADDED = ["I've just given you access to the {tool} function. Please try again.",
          "OK, I added a tool for that ({tool}). What about now?",
          "You now have {tool} available; go ahead with my request.",
          "I have updated your functions: {tool} is there now. Try it.",
          "I have updated some more functions you can choose from. What about now?"]  # BFCL's miss_func wording
_DEVIATE = ["Hmm, I'm not sure. Just use whatever makes sense.", "Can't remember, pick something sensible.",
            "No idea, you decide."]


@dataclass
class UserTurn:
    """One simulated user message and the values it must contain (for rephrasing)."""

    text: str
    keep: list[str] = field(default_factory=list)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _join(prefix: str, text: str) -> str:
    """``prefix`` + ``text``, lower-casing the request's first word after a connector ("Also, can you ...")
    unless that word is a name or an id (it may be a value the calls use)."""
    if not prefix.strip():
        return _cap(text)
    first = text.split(" ", 1)[0]
    if prefix.rstrip()[-1] not in ".!?:" and first[1:].islower() and first.isalpha():
        text = text[:1].lower() + text[1:]
    return _cap(prefix + text)


def _request(task: Any, rng: random.Random, *, omit: bool) -> tuple[str, list[str]]:
    slots = voiced(task.slots)
    if omit and task.say_without:
        template = rng.choice(task.say_without)
        slots = {k: v for k, v in slots.items() if k != task.omit}
    else:
        template = rng.choice(task.say)
    text = template.format(**slots)
    return text, [v for k, v in slots.items() if "{" + k + "}" in template] + list(task.keep)


def simulate(bp: Blueprint, tools: list[Tool], rng: random.Random, *, deviation_rate: float = 0.0) -> tuple[list[UserTurn], list[Step], list[str]]:
    """The template dialogue: user turns, agent steps (``user_input`` left as markers) and turn kinds.

    Steps hold ``user_input = "\\x00k"`` placeholders that :func:`assemble` replaces with user turn k,
    so an LLM can rephrase the user turns in one batch first."""
    first = (bp.tasks[0].env.split(">")[0] or bp.components[0]) if bp.mixed and bp.tasks else bp.env
    domain = DOMAINS[first]
    persona = bp.persona.get(first, {}) if bp.mixed else bp.persona
    tone = TONES[rng.choice(sorted(TONES))]
    users: list[UserTurn] = []
    steps: list[Step] = []
    kinds: list[str] = []
    by_name = {t.name: t for t in tools}

    def say(text: str, keep: list[str] | None = None) -> None:
        if users:
            if not steps:
                steps.append(Step())
            steps[-1].user_input = f"\x00{len(users)}"
        users.append(UserTurn(text, keep or []))

    try:
        greeting = rng.choice(domain.greet(persona)).format(**{k: v for k, v in persona.items()
                                                             if isinstance(v, str)})
    except KeyError:  # a given blueprint has no persona
        greeting = ""
    greeting = greeting or rng.choice(tone["open"])
    for k, task in enumerate(bp.tasks):
        if bp.irrelevant_at == k:
            say(_join(greeting if not users else "", bp.irrelevant_text))
            steps.append(Step(response=_decline(SEPARATOR.join(bp.offered_environments), bp.irrelevant_text, rng)))
            kinds.append("irrelevance")
        clarify = bp.clarify[k]
        text, keep = _request(task, rng, omit=clarify)
        say(_join(greeting if not users else rng.choice(tone["next"]), text), keep)
        if bp.withheld_at == k and bp.withheld is not None:
            tool = by_name[bp.withheld]
            intent = intent_of(tool).split(",")[0].split(" (")[0]
            steps.append(Step(response=f"I'm sorry, I can't {intent} with the tools I have right now, "
                                       "so I can't complete that request yet.",
                              tools_added=[bp.withheld]))
            say(rng.choice(_ADDED).format(tool=bp.withheld))
            kinds.append("missing_function")
        if clarify:
            steps.append(Step(response=task.ask))
            value = voiced(task.slots)[task.omit or ""]
            if rng.random() < deviation_rate:
                say(rng.choice(_DEVIATE))
            else:
                say(rng.choice(task.supply).format(value=value), [value])
            kinds.append("clarification")
        else:
            kinds.append("long_context" if task.long_context else "base")
        flat: list[Any] = []
        for group, results in zip(task.calls, bp.observations[k], strict=True):
            steps.append(Step(tool_calls=[c.model_copy(deep=True) for c in group], observations=list(results)))
            flat += results
        steps.append(Step(response=task.answer(flat)))
    if bp.irrelevant_at == len(bp.tasks):
        say(_join(rng.choice(tone["next"]), bp.irrelevant_text))
        steps.append(Step(response=_decline(SEPARATOR.join(bp.offered_environments), bp.irrelevant_text, rng)))
        kinds.append("irrelevance")
    if bp.closing:
        say(rng.choice(tone["thanks"]))
        steps.append(Step(response=rng.choice(tone["reply"])))
        kinds.append("closing")
    return users, steps, kinds


def _decline(env: str, request: str, rng: random.Random) -> str:
    from xlam.envs import get_environment

    what = " and ".join(get_environment(e).description for e in env.split(SEPARATOR))
    return rng.choice([
        f"Sorry, I can't help with that: my tools only cover {what}.",
        f"That's outside what I can do here. I can only work with {what}.",
        f"I'm not able to do that with the available tools; they are for {what}. Anything else I can help with?",
    ])


def assemble(bp: Blueprint, users: list[UserTurn], steps: list[Step], kinds: list[str], tools: list[Tool], *,
             task_instruction: str, generator: str, source: str, rephrased: int = 0) -> Record:
    """The multi-turn record of a simulated dialogue (user turns filled in, the last reply as ``answer``)."""
    steps = [s.model_copy(deep=True) for s in steps]
    for step in steps:
        if step.user_input.startswith("\x00"):
            step.user_input = users[int(step.user_input[1:])].text
    answer = None
    if steps and not steps[-1].tool_calls and steps[-1].response and not steps[-1].user_input:
        answer = steps.pop().response
    turns: list[list[str]] = [[]]
    for step in steps:
        turns[-1] += [call_string(c) for c in step.tool_calls]
        if step.user_input:
            turns.append([])
    tool_names = [t.name for t in tools]
    record = Record(
        id="pending", source=source, category=Category.MULTI_TURN, task_instruction=task_instruction,
        tools=tools, query=users[0].text, steps=steps, answer=answer, ground_truth=GroundTruth(turns=turns),
        environment=EnvironmentSnapshot(name=bp.env, initial_state=bp.initial_state, final_state_sha256=bp.final_hash,
                                        components=bp.components if bp.mixed else None),
        provenance=Provenance(
            generator=generator, transformations=[f"synthesize_mt(env={bp.env},origin={bp.origin})"],
            extra={"blueprint_id": bp.id, "goal": bp.goal(), "turn_kinds": kinds,
                   "tasks": [t.kind for t in bp.tasks], "user_turns": len(users),
                   "withheld_tool": bp.withheld, "long_context": bp.long_context, "rephrased_turns": rephrased,
                   "tools": tool_names},
        ),
    )
    if bp.mixed:  # schema 1.2: which component each goal turn acts on ("a>b": carries a value from a to b)
        record.schema_version = LATEST_SCHEMA_VERSION
        record.provenance.extra["environments"] = bp.components
        record.provenance.extra["turn_environments"] = [t.env for t in bp.tasks]
        record.provenance.extra["cross_environment_turns"] = [k + 1 for k, t in enumerate(bp.tasks) if t.carries]
    if bp.distractors:  # offered, never needed (MultiTurnConfig.distractor_environments)
        record.provenance.extra["distractor_environments"] = list(bp.distractors)
    return record.with_content_id()


def grounded(value: Any, context: str) -> bool:
    """Whether an argument value was stated in ``context`` (amounts also in their 2-decimal form)."""
    if _supported(value, context):
        return True
    if isinstance(value, float) and not isinstance(value, bool):
        return any(form in context for form in (f"{value:.2f}", f"{value:,.2f}"))
    return False


def available_tools(record: Record) -> list[set[str]]:
    """The tool names the agent may call at each step (withheld tools join after their step)."""
    later = {n for s in record.steps for n in (s.tools_added or [])}
    current = {t.name for t in record.tools} - later
    out = []
    for step in record.steps:
        out.append(set(current))
        current |= set(step.tools_added or [])
    return out


def check_trajectory(record: Record, bp: Blueprint | None = None) -> Outcome:
    """format -> grounding -> replay (see the module doc)."""
    out = Outcome()
    issues: list[str] = []
    names = {t.name for t in record.tools}
    for i, (step, allowed) in enumerate(zip(record.steps, available_tools(record), strict=True)):
        for call in step.tool_calls:
            if call.name not in names:
                issues.append(f"undefined_function:{call.name}@step{i + 1}")
            elif call.name not in allowed:
                issues.append(f"unavailable_tool:{call.name}@step{i + 1}")
        if step.tool_calls and len(step.observations) != len(step.tool_calls):
            issues.append(f"observation_count@step{i + 1}")
        if step.response.rstrip().endswith("?") and not step.user_input and i < len(record.steps) - 1:
            issues.append(f"unanswered_question@step{i + 1}")
        for name in step.tools_added or []:
            if name not in names:
                issues.append(f"unknown_added_tool:{name}@step{i + 1}")
    if not record.query.strip() or any(s.user_input == "" and s.tools_added for s in record.steps):
        issues.append("empty_user_turn")
    if record.environment is None:
        issues.append("no_environment")
    if bp is not None and bp.distractors:  # distractor tools are offered, never called
        needed = {t.name for t in environment_tools(bp.env)}
        issues += [f"distractor_call:{c.name}@step{i + 1}" for i, step in enumerate(record.steps)
                   for c in step.tool_calls if c.name not in needed]
    if issues:
        return out.fail("trajectory:format", issues)
    out.passed.append("trajectory:format")
    tools = {t.name: t for t in record.tools}
    context = record.query
    grounding: list[str] = []
    for i, step in enumerate(record.steps):
        for call in step.tool_calls:
            tool = tools[call.name]
            for arg, value in call.arguments.items():
                schema = tool.properties.get(arg, {})
                if isinstance(schema, dict) and ("enum" in schema or schema.get("type") == "boolean"
                                                 or schema.get("default", object()) == value):
                    continue
                if not grounded(value, context):
                    grounding.append(f"unsupported_value:{call.name}.{arg}@step{i + 1}")
        context += " " + " ".join(observation_text(o) for o in step.observations) + " " + step.user_input
    if grounding:
        return out.fail("trajectory:grounding", grounding)
    out.passed.append("trajectory:grounding")
    replay = replay_issues(record)
    if bp is not None and record.environment is not None and record.environment.final_state_sha256 != bp.final_hash:
        replay.append("final_state_mismatch:blueprint")
    if replay:
        return out.fail("trajectory:replay", replay)
    out.passed.append("trajectory:replay")
    return out


def replay_issues(record: Record) -> list[str]:
    """Re-run the record's calls on a fresh environment: every call must succeed with the recorded
    observation, and the final state must hash to ``environment.final_state_sha256``."""
    assert record.environment is not None
    env = open_environment(record.environment.name, record.environment.initial_state)
    issues = []
    for i, step in enumerate(record.steps):
        for j, call in enumerate(step.tool_calls):
            result = env.execute(ToolCall(name=call.name, arguments=call.arguments))
            if not result.ok:
                issues.append(f"call_failed:{call.name}@step{i + 1}:{result.message[:100]}")
            elif j < len(step.observations) and canonical_json(result.value) != canonical_json(step.observations[j]):
                issues.append(f"observation_mismatch:{call.name}@step{i + 1}")
    if record.environment.final_state_sha256 and env.state_hash() != record.environment.final_state_sha256:
        issues.append("final_state_mismatch")
    return issues


__all__ = ["UserTurn", "assemble", "available_tools", "check_trajectory", "grounded", "replay_issues", "simulate"]
