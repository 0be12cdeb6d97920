"""Scoring multi-turn and agentic (memory) trajectories as bfcl-eval does.

Multi-turn (``bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker`` and the runner's
``_evaluate_single_multi_turn_entry``):

1. A trajectory with a different number of turns than the ground truth was force-terminated
   (more than :data:`~xlam.bfcl.multi_turn.STEP_LIMIT` steps in a turn): ``multi_turn:force_terminated``.
2. Every step is decoded again (prompt: Python call list; native: tool calls); steps that fail to
   decode or decode to no call are dropped (chatting is allowed).
3. Turn by turn, the model's calls run on one set of live environments and the ground-truth calls
   on another (both from the entry's ``initial_config``). For a turn whose ground truth is not empty:
   an empty model turn fails (``multi_turn:empty_turn_model_response``); the public attributes of
   every instance must be equal (``multi_turn:instance_state_mismatch``, *state-based*); every
   ground-truth result of the turn must appear (unordered, with multiplicity) among the model's
   results of this and all earlier turns (``multi_turn:execution_response_mismatch``,
   *response-based*). Turns with an empty ground truth are executed but not checked.

Agentic/memory (``_evaluate_single_agentic_entry`` and ``agentic_checker``): the trajectory has one
turn; the last step that does not decode to a call is the answer (none:
``agentic:no_last_message``); one of the possible answers, standardised (whitespace and
``,./-_*^()`` removed, lower case, ``'`` -> ``"``), must occur in it as a whole word
(``agentic:answer_not_found``).
"""

from __future__ import annotations

import re
from typing import Any

from xlam.bfcl.checker import Verdict
from xlam.bfcl.multi_turn import Environment, StepDecodeError, decode_step, is_empty_step

FORCE_TERMINATED = "multi_turn:force_terminated"
INFERENCE_ERROR = "multi_turn:inference_error"
EMPTY_TURN = "multi_turn:empty_turn_model_response"
STATE_MISMATCH = "multi_turn:instance_state_mismatch"
RESPONSE_MISMATCH = "multi_turn:execution_response_mismatch"
AGENTIC_INFERENCE_ERROR = "agentic:inference_error"
NO_LAST_MESSAGE = "agentic:no_last_message"
ANSWER_NOT_FOUND = "agentic:answer_not_found"


def _fail(error_type: str, message: str, **details: Any) -> Verdict:
    return Verdict(valid=False, error_type=error_type, errors=[message, details] if details else [message])


def compare_instances(model: Any, ground_truth: Any) -> dict[str, Any]:
    """Public attributes of ``ground_truth`` whose value differs on ``model`` (BFCL's ``_compare_instances``)."""
    if type(model) is not type(ground_truth):
        raise TypeError("Objects are not of the same type.")
    differences = {}
    for attr in vars(ground_truth):
        if attr.startswith("_"):
            continue
        mine, gold = getattr(model, attr), getattr(ground_truth, attr)
        if mine != gold:
            differences[attr] = {"model": mine, "ground_truth": gold}
    return differences


def missing_results(ground_truth: list[str], model: list[str]) -> list[str]:
    """Ground-truth results not found in ``model`` (unordered, each model result used once)."""
    pool = list(model)
    missing = []
    for item in ground_truth:
        try:
            pool.remove(item)
        except ValueError:
            missing.append(item)
    return missing


def check_multi_turn(
    decoded: list[list[list[str]]],
    ground_truth: list[list[str]],
    entry: dict[str, Any],
    category: str,
) -> Verdict:
    """BFCL's ``multi_turn_checker`` on decoded steps: ``decoded[turn][step] = [call strings]``."""
    model_env: Environment | None = None
    gold_env = Environment.for_entry(entry, category)
    all_results: list[str] = []
    for turn, gold_calls in enumerate(ground_truth):
        steps = decoded[turn]
        turn_results: list[str] = []
        for step in steps:
            if model_env is None:
                model_env = Environment.for_entry(entry, category)
            turn_results.extend(model_env.execute(step))
        gold_results = gold_env.execute(list(gold_calls))
        all_results.extend(turn_results)
        if not gold_calls:
            continue
        if not steps or is_empty_step(steps):
            return _fail(EMPTY_TURN, f"Model response list is empty for turn {turn}")
        assert model_env is not None
        for class_name, gold_instance in gold_env.instances.items():
            differences = compare_instances(model_env.instances[class_name], gold_instance)
            if differences:
                return _fail(
                    STATE_MISMATCH,
                    f"Model instance for {class_name} does not match the state with ground truth instance.",
                    turn=turn, differences={k: {side: _short(v) for side, v in d.items()} for k, d in differences.items()},
                )
        missing = missing_results(gold_results, all_results)
        if missing:
            return _fail(
                RESPONSE_MISMATCH,
                f"Model response execution results so far does not contain all the ground truth response execution results for turn {turn}.",
                turn=turn, missing_items=missing,
            )
    return Verdict(valid=True)


def decode_turns(turns: list[list[dict[str, Any]]], mode: str) -> list[list[list[str]]]:
    """Decode every step (``{"text", "tool_calls"}``) as BFCL's runner does: failed or empty decodes dropped."""
    out = []
    for steps in turns:
        kept = []
        for step in steps:
            try:
                calls = decode_step(step.get("text") or "", mode, step.get("tool_calls"))
            except StepDecodeError:
                continue
            if not is_empty_step(calls):
                kept.append(calls)
        out.append(kept)
    return out


def check_trajectory(
    turns: Any, ground_truth: list[list[str]], entry: dict[str, Any], category: str, mode: str
) -> tuple[Verdict, list[list[list[str]]] | None]:
    """Score one multi-turn trajectory (``turns[turn][step] = {"text", "tool_calls"}``); returns the
    verdict and the decoded calls that were checked."""
    if not isinstance(turns, list):
        return _fail(INFERENCE_ERROR, "Error during inference phase. Model did not output a list of model responses."), None
    if len(turns) != len(ground_truth):
        return _fail(
            FORCE_TERMINATED,
            f"Model was force-terminated during inference phase. The length of the model result turns ({len(turns)}) "
            f"does not match the length of the ground truth turns ({len(ground_truth)}).",
        ), None
    decoded = decode_turns(turns, mode)
    return check_multi_turn(decoded, ground_truth, entry, category), decoded


# --- agentic (memory) --------------------------------------------------------------------------------
def standardize_string(text: str) -> str:
    """BFCL's agentic ``standardize_string``."""
    return re.sub(r"[\,\.\/\-\_\*\^\(\)]", "", text).lower().replace("'", '"')


def answer_found(response: Any, possible_answers: list[str]) -> bool:
    if isinstance(response, list):
        response = response[0]
    if not isinstance(response, str):
        response = str(response)
    text = standardize_string(response)
    return any(re.search(rf"\b{re.escape(standardize_string(a))}\b", text) for a in possible_answers)


def check_agentic(turns: Any, possible_answers: list[str], mode: str) -> tuple[Verdict, str | None]:
    """Score a memory trajectory; returns the verdict and the answer message that was checked."""
    if not isinstance(turns, list) or len(turns) != 1:
        return _fail(AGENTIC_INFERENCE_ERROR, "Error during inference phase. Model did not output a list of model responses."), None
    last: str | None = None
    for step in turns[0]:
        try:
            calls = decode_step(step.get("text") or "", mode, step.get("tool_calls"))
        except StepDecodeError:
            last = step.get("text") or ""
            continue
        if is_empty_step(calls):
            last = step.get("text") or ""
    if not last:
        return _fail(NO_LAST_MESSAGE, "Cannot find the last chat message that is not a function call."), last
    if not answer_found(last, possible_answers):
        return _fail(ANSWER_NOT_FOUND, "None of the expected answers were found in the model response.",
                     possible_answers=possible_answers), last
    return Verdict(valid=True), last


def _short(value: Any, limit: int = 400) -> str:
    """A bounded text form of a state value (environment objects can be large or cyclic)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."
