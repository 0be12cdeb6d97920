"""Task blueprints written by people (or another generator): phase 2 turns them into dialogues.

One JSON object per line (or a JSON array)::

    {"id": "bp-rent", "env": "bank", "initial_state": {...} | "seed": 3,
     "turns": [
       {"request": "Send 50 dollars from ACC-1001 to ACC-2002 for rent.",
        "calls": [{"name": "transfer", "arguments": {"from_account": "ACC-1001", "to_account": "ACC-2002",
                   "amount": 50.0, "memo": "rent"}}],
        "answer": "Done, 50 dollars sent.",
        "expect": [{"path": ["accounts", "ACC-1001", "balance"], "value": 70.0},
                   {"path": ["accounts", "ACC-2002", "balance"]}, {"path": ["transactions"]},
                   {"path": ["next_transaction"]}]}]}

``calls`` is the turn's ground truth in order; an element that is a list is one step of parallel
calls. ``expect`` (optional) declares the turn's whole state change (a path without ``value`` must
change, ``"value": null`` with ``"absent": true`` must be removed); without it the turn's effect is
not checked (``blueprint:semantic:partial``). Over several environments at once, ``env`` is a list
(or ``"bank+filesystem"``), ``initial_state`` maps components to their states (the others are
seeded with ``seed``), the tools are the union of theirs and ``expect`` paths start with the
component (``["bank", "accounts", "ACC-1001", "balance"]``). Malformed blueprints raise
:class:`~xlam.errors.RecordError` with file, line and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlam.envs import EnvConfigError, MixedEnvironment, get_environment
from xlam.envs.mixed import SEPARATOR
from xlam.errors import RecordError
from xlam.records import ToolCall
from xlam.synthesis.multi_turn.blueprint import ABSENT, CHANGED, Expect, Task
from xlam.synthesis.multi_turn.blueprints import Blueprint


def _call(raw: Any, where: str) -> ToolCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ValueError(f"{where}: expected an object with a 'name'")
    args = raw.get("arguments", {})
    if not isinstance(args, dict):
        raise ValueError(f"{where}.arguments: expected an object")
    return ToolCall(name=raw["name"], arguments=args)


def _expect(raw: Any, where: str) -> Expect:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), list) or not raw["path"]:
        raise ValueError(f"{where}: expected an object with a non-empty 'path' list")
    path = tuple(str(p) for p in raw["path"])
    if raw.get("absent"):
        return Expect(path, ABSENT)
    return Expect(path, raw["value"]) if "value" in raw else Expect(path, CHANGED)


def _answer(text: str | None) -> Any:
    def answer(observations: list[Any]) -> str:
        if text:
            return text
        from xlam.records.conversation import observation_text

        return "Done. " + "; ".join(observation_text(o)[:160] for o in observations)

    return answer


def _stated(request: str, groups: list[list[ToolCall]]) -> list[str]:
    """The argument values the request states (an LLM rewrite of it must keep them)."""
    from xlam.synthesis.multi_turn.blueprints import voiced

    forms = [voiced({"v": v})["v"] for group in groups for c in group for v in c.arguments.values()
             if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return list(dict.fromkeys(f for f in forms if f and f in request))


def blueprint_from_dict(raw: Any, path: str, line: int) -> Blueprint:
    """One blueprint; raises ``ValueError('field: reason')`` on malformed input."""
    if not isinstance(raw, dict):
        raise ValueError(": expected a JSON object")
    env = raw.get("env")
    if isinstance(env, list) and all(isinstance(e, str) for e in env):
        env = SEPARATOR.join(env)
    if not isinstance(env, str):
        raise ValueError("env: missing or not a string")
    if "initial_state" in raw and not isinstance(raw["initial_state"], dict):
        raise ValueError("initial_state: expected an object")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int):
        raise ValueError("seed: expected an integer")
    initial: dict[str, Any]
    if SEPARATOR in env:  # several environments: state keyed by component, seeded where not given
        names = sorted(env.split(SEPARATOR))
        env = SEPARATOR.join(names)
        given = raw.get("initial_state", {})
        initial = MixedEnvironment([get_environment(n) for n in names],
                                   {n: given.get(n) or get_environment(n).initial_state(seed) for n in names}
                                   | {k: v for k, v in given.items() if k not in names}).state_dict()
    elif "initial_state" in raw:
        initial = get_environment(env)(raw["initial_state"]).state_dict()
    else:
        initial = get_environment(env).initial_state(seed)
    turns = raw.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ValueError("turns: expected a non-empty list")
    tasks = []
    for k, turn in enumerate(turns):
        where = f"turns[{k}]"
        if not isinstance(turn, dict) or not isinstance(turn.get("request"), str) or not turn["request"].strip():
            raise ValueError(f"{where}.request: missing or empty")
        raw_calls = turn.get("calls", [])
        if not isinstance(raw_calls, list):
            raise ValueError(f"{where}.calls: expected a list")
        groups = []
        for j, item in enumerate(raw_calls):
            items = item if isinstance(item, list) else [item]
            groups.append([_call(c, f"{where}.calls[{j}]") for c in items])
        expects = None
        if "expect" in turn:
            if not isinstance(turn["expect"], list):
                raise ValueError(f"{where}.expect: expected a list")
            expects = [_expect(e, f"{where}.expect[{i}]") for i, e in enumerate(turn["expect"])]
        request = turn["request"].replace("{", "{{").replace("}", "}}")
        answer = turn.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise ValueError(f"{where}.answer: expected a string")
        tasks.append(Task(kind=str(turn.get("kind", "given")), say=[request], slots={}, calls=groups, expects=expects,
                          answer=_answer(answer), keep=_stated(turn["request"], groups)))
    bp_id = raw.get("id") or f"{Path(path).name}:{line}"
    bp = Blueprint(str(bp_id), env, initial, {}, tasks, [False] * len(tasks), origin="given")
    bp.source_location = (path, line)  # type: ignore[attr-defined]
    return bp


def load_blueprints(path: str | Path) -> list[Blueprint]:
    """Every blueprint of a JSON-lines file (or JSON array); the first malformed one raises RecordError."""
    from xlam.converters.base import iter_json_items

    out = []
    for item in iter_json_items(path):
        try:
            out.append(blueprint_from_dict(item.value, item.path, item.line))
        except EnvConfigError as exc:
            raise RecordError(item.path, item.line, "env" if "unknown environment" in str(exc) else "initial_state",
                              str(exc)) from exc
        except (ValueError, KeyError, TypeError) as exc:
            field, _, reason = str(exc).partition(": ")
            raise RecordError(item.path, item.line, field, reason or str(exc)) from exc
    if not out:
        raise RecordError(str(path), None, "", "no blueprints in the file")
    return out


__all__ = ["blueprint_from_dict", "load_blueprints"]
