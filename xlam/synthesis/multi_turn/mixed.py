"""Mixed blueprints: one dialogue over two environments at once (``MultiTurnConfig.mixed_rate``).

BFCL's multi-turn entries usually involve several API classes together, so the agent must pick
among the tools of several environments and carry values from one environment's results into
another's calls. A mixed blueprint has one seeded initial state per component, the union of their
tools (:class:`xlam.envs.MixedEnvironment`), goal turns drawn from each component's task domain in
an interleaved order, and a **bridge** turn: a value one component returns (a file's text, an event's
title, a customer's name, an order's total, a transaction id) is an argument of a call into the other
(a transfer memo or amount, a new file's content, an event title). Bridges combine a *source* of one
environment with a *sink* of another, so a handful of each covers every pair in both directions
where the value kinds fit.

Each turn's expectations are scoped to its component (``Expect(("bank", "accounts", ...))``), so the
semantic check compares the whole mixed state: each component changes exactly as its turns say and
nothing else changes anywhere. A bridge also declares its :class:`Carry`, which the semantic check
verifies on the executed calls (``wrong_carried_value:transfer.memo@turn3``).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xlam.envs import get_environment
from xlam.envs.mixed import SEPARATOR, exposed_names
from xlam.records import Tool, ToolCall
from xlam.synthesis.multi_turn.blueprint import Carry, Expect, Task
from xlam.synthesis.multi_turn.blueprints import Blueprint, SamplingError, _withhold, initial_for
from xlam.synthesis.multi_turn.config import MultiTurnConfig
from xlam.synthesis.multi_turn.tasks import DOMAINS, C, money

State = dict[str, Any]
Persona = dict[str, Any]

IRRELEVANT = ["What's the capital of Australia?", "Can you tell me a joke?", "What's the weather going to be like "
              "tomorrow?", "How do I fix my laptop's wifi?", "Translate 'thank you' into Japanese.",
              "What's a good book about time management?"]


@dataclass
class Source:
    """A read in one environment whose result carries a value: ``desc`` names the value for the user."""

    desc: str
    slots: dict[str, Any]
    call: ToolCall
    path: tuple[str | int, ...]
    value: Any
    kind: str  # "text" | "amount"


@dataclass
class Sink:
    """A write in the other environment that takes the value (``{what}`` in ``say`` is the source's desc)."""

    say: list[str]
    slots: dict[str, Any]
    call: ToolCall
    arg: str
    expects: list[Expect]
    answer: Callable[[Any], str]


SourceFn = Callable[[State, random.Random, Persona], Source | None]
SinkFn = Callable[[State, random.Random, Persona, Any], Sink | None]


# --- sources ------------------------------------------------------------------------------------
def fs_text(s: State, rng: random.Random, p: Persona) -> Source | None:
    files = sorted(f for f, text in s["files"].items() if f.startswith(p["home"] + "/") and 0 < len(text) <= 80
                   and "\n" not in text)
    if not files:
        return None
    path = rng.choice(files)
    return Source("the text of {path}", {"path": path}, C("read_file", path=path), (), s["files"][path], "text")


def cal_title(s: State, rng: random.Random, p: Persona) -> Source | None:
    if not s["events"]:
        return None
    eid = rng.choice(sorted(s["events"]))
    return Source("the title of event {event}", {"event": eid}, C("get_event", event_id=eid), ("title",),
                  s["events"][eid]["title"], "text")


def retail_name(s: State, rng: random.Random, p: Persona) -> Source | None:
    return Source("the name of the customer with email {email}", {"email": p["email"]},
                  C("find_customer", email=p["email"]), ("name",), p["name"], "text")


def retail_total(s: State, rng: random.Random, p: Persona) -> Source | None:
    mine = sorted(o for o, order in s["orders"].items() if order["customer_id"] == p["customer_id"])
    if not mine:
        return None
    oid = rng.choice(mine)
    return Source("the total of order {order}", {"order": oid}, C("get_order", order_id=oid), ("total",),
                  s["orders"][oid]["total"], "amount")


def bank_last_txn(s: State, rng: random.Random, p: Persona) -> Source | None:
    with_txns = [a for a in p["accounts"] if any(t["account"] == a for t in s["transactions"])]
    if not with_txns:
        return None
    acc = rng.choice(with_txns)
    latest = [t for t in s["transactions"] if t["account"] == acc][-1]
    return Source("the id of the latest transaction on {account}", {"account": acc},
                  C("list_transactions", account_number=acc), (0, "id"), latest["id"], "text")


SOURCES: dict[str, list[tuple[str, SourceFn]]] = {  # environment -> (value kind, source)
    "filesystem": [("text", fs_text)], "calendar": [("text", cal_title)],
    "retail": [("text", retail_name), ("amount", retail_total)], "bank": [("text", bank_last_txn)]}


# --- sinks --------------------------------------------------------------------------------------
def _txn(s: State, offset: int, account: str, amount: float, kind: str, memo: str) -> dict[str, Any]:
    return {"id": f"T{s['next_transaction'] + offset:05d}", "account": account, "amount": round(amount, 2),
            "kind": kind, "memo": memo}


def _transfer(s: State, rng: random.Random, p: Persona, amount: float, memo: str) -> tuple[str, str, list[Expect]]:
    src = rng.choice(p["accounts"])
    dst = rng.choice([a for a in sorted(s["accounts"]) if a != src])
    txns = [*s["transactions"], _txn(s, 0, src, -amount, "transfer_out", memo), _txn(s, 1, dst, amount, "transfer_in", memo)]
    expects = [Expect(("accounts", src, "balance"), round(s["accounts"][src]["balance"] - amount, 2)),
               Expect(("accounts", dst, "balance"), round(s["accounts"][dst]["balance"] + amount, 2)),
               Expect(("transactions",), txns), Expect(("next_transaction",), s["next_transaction"] + 2)]
    return src, dst, expects


def bank_memo(s: State, rng: random.Random, p: Persona, value: Any) -> Sink | None:
    amount = float(rng.choice([20, 50, 75, 100, 150]))
    src, dst, expects = _transfer(s, rng, p, amount, value)
    return Sink(["transfer {amount} dollars from {src} to {dst} with {what} as the memo",
                 "send ${amount} from {src} to {dst} and use {what} as the memo"],
                {"amount": amount, "src": src, "dst": dst},
                C("transfer", from_account=src, to_account=dst, amount=amount, memo=value), "memo", expects,
                lambda o: f"Transferred {money(amount)} from {src} to {dst} with the memo \"{value}\"; {src} now has "
                          f"{money(o['from_balance'])}.")


def bank_amount(s: State, rng: random.Random, p: Persona, value: Any) -> Sink | None:
    src, dst, expects = _transfer(s, rng, p, value, "")
    return Sink(["transfer {what} from {src} to {dst}", "pay {what} from my account {src} into {dst}"],
                {"src": src, "dst": dst}, C("transfer", from_account=src, to_account=dst, amount=value), "amount",
                expects, lambda o: f"Transferred {money(value)} from {src} to {dst}; {src} now has "
                                   f"{money(o['from_balance'])}.")


def fs_write(s: State, rng: random.Random, p: Persona, value: Any) -> Sink | None:
    if rng.random() < 0.5:
        folder = rng.choice(p["folders"])
        path = f"{folder}/{rng.choice(['summary', 'copy', 'memo', 'reference'])}{rng.choice(['', '_new'])}.txt"
        return Sink(["save {what} in a new file {path}", "write {what} into a new file at {path}"], {"path": path},
                    C("write_file", path=path, content=value), "content", [Expect(("files", path), value)],
                    lambda o: f"Saved \"{value}\" to {path}.")
    files = sorted(f for f in s["files"] if f.startswith(p["home"] + "/"))
    if not files:
        return None
    path = rng.choice(files)
    new = f"{s['files'][path]}\n{value}" if s["files"][path] else value
    return Sink(["add {what} as a new line at the end of {path}", "append {what} to {path}"], {"path": path},
                C("append_to_file", path=path, text=value), "text", [Expect(("files", path), new)],
                lambda o: f"Appended \"{value}\" to {path}.")


def cal_event(s: State, rng: random.Random, p: Persona, value: Any) -> Sink | None:
    day, start = rng.choice(p["days"]), f"{rng.randint(8, 17):02d}:{rng.choice(['00', '30'])}"
    minutes, room = rng.choice([30, 45, 60]), rng.choice(sorted(s["rooms"]))
    eid = f"E{s['next_event']:03d}"
    return Sink(["book a {minutes}-minute meeting on {date} at {start} in room {room} titled with {what}",
                 "schedule a {minutes}-minute event on {date} at {start} in {room} with {what} as its title"],
                {"minutes": minutes, "date": day, "start": start, "room": room},
                C("create_event", title=value, date=day, start=start, duration_minutes=minutes, room=room), "title",
                [Expect(("events", eid)), Expect(("events", eid, "title"), value), Expect(("next_event",), s["next_event"] + 1)],
                lambda o: f"Booked \"{value}\" on {day} at {start} in {room} (event {o['event_id']}).")


SINKS: dict[str, dict[str, list[SinkFn]]] = {"bank": {"text": [bank_memo], "amount": [bank_amount]},
                                             "filesystem": {"text": [fs_write]}, "calendar": {"text": [cal_event]}}


def bridge_options(envs: list[str]) -> list[tuple[str, SourceFn, str, SinkFn]]:
    """Every (source env, source, sink env, sink) among ``envs`` whose value kinds fit."""
    out = []
    for a in envs:
        for b in envs:
            if a == b:
                continue
            for kind, src in SOURCES.get(a, []):
                out += [(a, src, b, sink) for sink in SINKS.get(b, {}).get(kind, [])]
    return out


def sample_bridge(envs: list[str], states: dict[str, State], rng: random.Random, personas: dict[str, Persona],
                  rename: dict[tuple[str, str], str]) -> Task | None:
    """A turn that reads a value in one component and passes it to a call into another (None: none fits)."""
    options = bridge_options(envs)
    rng.shuffle(options)
    for a, src_fn, b, sink_fn in options[:6]:
        source = src_fn(states[a], rng, personas[a])
        if source is None:
            continue
        sink = sink_fn(states[b], rng, personas[b], source.value)
        if sink is None:
            continue
        direct = [t.replace("{what}", source.desc) for t in sink.say]
        stepwise = [f"Look up {source.desc}, then " + t.replace("{what}", "it") for t in sink.say]
        say = [_cap(t) + "." for t in (*direct, *stepwise)]
        source_call = _renamed(source.call, a, rename)
        sink_call = _renamed(sink.call, b, rename)
        return Task(f"{a}>{b}:{source.call.name}>{sink.call.name}", say, {**source.slots, **sink.slots},
                    [[source_call], [sink_call]], [_scoped(e, b) for e in sink.expects],
                    answer=_second(sink.answer), env=f"{a}>{b}",
                    carries=[Carry(0, 0, source.path, 1, 0, sink.arg)])
    return None


def _second(answer: Callable[[Any], str]) -> Callable[[list[Any]], str]:
    """The bridge's reply from its second call's result (the write)."""
    return lambda obs: answer(obs[1])


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _scoped(exp: Expect, env: str) -> Expect:
    return Expect((env, *exp.path), exp.value)


def _renamed(call: ToolCall, env: str, rename: dict[tuple[str, str], str]) -> ToolCall:
    name = rename.get((env, call.name), call.name)
    return call if name == call.name else ToolCall(name=name, arguments=call.arguments)


def scope_task(task: Task, env: str, rename: dict[tuple[str, str], str]) -> Task:
    """A one-environment task as a turn of a mixed dialogue: expectations under ``env``, tool names exposed."""
    return dataclasses.replace(
        task, env=env, expects=None if task.expects is None else [_scoped(e, env) for e in task.expects],
        calls=[[_renamed(c, env, rename) for c in group] for group in task.calls])


def distractor_pool(involved: list[str]) -> list[str]:
    """The known environments that may be offered next to ``involved`` as distractors: not involved, and
    adding them leaves every involved tool's exposed name as it is. (Two components defining one name are
    both namespaced, :func:`~xlam.envs.mixed.exposed_names`; an involved tool renamed by a distractor would
    no longer match the gold calls and the replay, which know the involved environments only. Distractors
    that clash with each other are namespaced as in a mixed environment.)"""
    from xlam.envs import ENVIRONMENTS

    classes = [get_environment(e) for e in involved]
    base = exposed_names(classes)
    pool = []
    for name in sorted(ENVIRONMENTS):
        if name in involved:
            continue
        names = exposed_names([*classes, ENVIRONMENTS[name]])
        if all(names[key] == exposed for key, exposed in base.items()):
            pool.append(name)
    return pool


def sample_distractors(involved: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` distractor environments for a dialogue over ``involved`` (fewer if fewer exist), sorted."""
    pool = distractor_pool(involved)
    return sorted(rng.sample(pool, min(count, len(pool)))) if count > 0 else []


def offered_tools(components: list[str], distractors: list[str]) -> list[Tool]:
    """The whole tool sets of the components and the distractors, environments in name order, named as a
    mixed environment of all of them names them (the components' names are unchanged: :func:`distractor_pool`)."""
    from xlam.envs import MixedEnvironment

    envs = sorted({*components, *distractors})
    if len(envs) == 1:
        return get_environment(envs[0]).tools()
    return MixedEnvironment.tools_of([get_environment(e) for e in envs])


def mixed_name(envs: list[str]) -> str:
    return SEPARATOR.join(sorted(envs))


def system_prompt(envs: list[str]) -> str:
    parts = "; ".join(get_environment(e).description for e in envs)
    return (f"You are an assistant with access to {len(envs)} systems: {parts}. Use the tools of the right system "
            "for each request and pass values from one system to another when the user asks. Act only on what the "
            "user asks; ask for missing details instead of guessing.")


def sample_mixed_blueprint(envs: list[str], rng: random.Random, config: MultiTurnConfig, bp_id: str) -> Blueprint:
    """Draw a goal over several environments: per-component states and personas, interleaved goal turns
    from each component's domain and (where one fits) a bridge turn carrying a value between them."""
    from xlam.envs import MixedEnvironment

    envs = sorted(envs)
    classes = [get_environment(e) for e in envs]
    rename = {k: v for k, v in exposed_names(classes).items() if k[1] != v}
    long_context = rng.random() < config.long_context_rate
    long_env = rng.choice(envs) if long_context else None
    initial = {e: initial_for(e, rng, config, long_context=e == long_env) for e in envs}
    scratch = MixedEnvironment(classes, initial)
    personas: dict[str, Persona] = {}
    for e in envs:
        try:
            personas[e] = DOMAINS[e].persona(initial[e], rng)
        except (StopIteration, IndexError, ValueError, KeyError) as exc:
            raise SamplingError(f"no persona in this state: {type(exc).__name__}") from exc
    n_turns = rng.randint(config.min_turns, config.max_turns)
    bridge_at = rng.randrange(n_turns) if bridge_options(envs) else None
    n_plain = max(n_turns - (bridge_at is not None), 0 if bridge_at is not None else len(envs))
    offset = rng.randrange(len(envs))
    plan: list[str | None] = [envs[(i + offset) % len(envs)] for i in range(n_plain)]  # every component once
    rng.shuffle(plan)  # interleaved
    if bridge_at is not None:
        plan.insert(bridge_at, None)  # None: the bridge turn
    long_at = next((i for i, e in enumerate(plan) if e == long_env), None)
    tasks: list[Task] = []
    for i, env in enumerate(plan):
        states = scratch.state_dict()
        task: Task | None
        if env is None:
            task = sample_bridge(envs, states, rng, personas, rename)
            if task is None:  # no value fits this state: an ordinary turn of a component instead
                env = next((e for e in envs if e not in plan), envs[i % len(envs)])
        if env is not None:
            seen = {(t.kind, repr(sorted(t.slots.items()))) for t in tasks}
            task = None
            for _ in range(5):
                task = DOMAINS[env].sample(states[env], rng, personas[env], long_context=i == long_at)
                if task is None or (task.kind, repr(sorted(task.slots.items()))) not in seen:
                    break
            else:
                task = None
            task = scope_task(task, env, rename) if task is not None else None
        if task is None:
            raise SamplingError("no applicable task")
        tasks.append(task)
        for group in task.calls:
            for call in group:
                scratch.execute(call)
    clarify = [bool(t.omit) and rng.random() < config.clarification_rate for t in tasks]
    bp = Blueprint(bp_id, mixed_name(envs), initial, personas, tasks, clarify, long_context=long_at is not None)
    if rng.random() < config.irrelevance_rate:
        bp.irrelevant_at = rng.randint(0, n_turns)
        bp.irrelevant_text = rng.choice(IRRELEVANT)
    if rng.random() < config.missing_function_rate:
        _withhold(bp, rng)
    bp.closing = rng.random() < config.closing_rate
    return bp


__all__ = ["IRRELEVANT", "SINKS", "SOURCES", "Sink", "Source", "bridge_options", "distractor_pool", "mixed_name",
           "offered_tools", "sample_bridge", "sample_distractors", "sample_mixed_blueprint", "scope_task",
           "system_prompt"]
