"""The BFCL evaluation harness: generate answers with a generator backend, score them, write reports.

``run_bfcl_eval(config, out_dir)`` writes into ``out_dir``:

- ``results.jsonl``: one line per item - id, category, prompt (messages and tools), raw output,
  decoded calls, valid, error_type, errors, finish_reason, seconds - appended as batches finish, so
  an interrupted run keeps its work and ``resume=True`` continues it;
- ``summary.json`` (:class:`EvalResult`), ``report.md`` and ``accuracy.png``.

Items are generated in batches of the generator's ``batch_size`` (hf backend; 16 for others),
largest token budget then longest prompt first, so each batch holds prompts of similar length
(little padding) and budget; ``results.jsonl`` is therefore in that order, not in file order.
With ``fit_max_tokens`` each category's budget is its longest gold answer + 16 tokens
(:func:`fitted_max_tokens_by_category`).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from pathlib import Path
from typing import Any

from xlam.bfcl.data import load_possible_answers, load_questions
from xlam.bfcl.scoring import score_output
from xlam.evaluation.config import EvalConfig
from xlam.evaluation.generation import build_request, make_generator
from xlam.evaluation.results import (
    RESULTS_FILE,
    EvalResult,
    build_result,
    load_item_results,
    load_items,
    write_result_files,
)
from xlam.generators import ChatRequest, Generator


def machine_description() -> str:
    import os

    return f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs"


def select_entries(config: EvalConfig) -> list[tuple[str, dict[str, Any], list[Any] | None]]:
    """(category, question entry, possible answer) for every item the config selects."""
    out = []
    for category in config.categories:
        questions = load_questions(category, config.data_dir)
        answers = load_possible_answers(category, config.data_dir)
        for entry in questions[: config.limit] if config.limit else questions:
            out.append((category, entry, answers.get(str(entry["id"]))))
    return out


def gold_answer_text(entry: dict[str, Any], answer: list[Any] | None) -> str:
    """The longest accepted answer of an entry as a Python call list (``""`` when it has none).

    Each parameter takes its longest accepted value (omitted where only "absent" is accepted), so
    a model needs at most this many characters to write a correct answer.
    """
    if not answer:
        return ""
    calls = []
    for expected in answer:
        for name, params in expected.items():
            args = []
            for param, allowed in params.items():
                values = [v for v in allowed if v != ""] if isinstance(allowed, list) else [allowed]
                if values:
                    args.append(f"{param}={max((repr(v) for v in values), key=len)}")
            calls.append(f"{name}({', '.join(args)})")
    return "[" + ", ".join(calls) + "]"


def fitted_max_tokens(config: EvalConfig, tokenizer: Any, margin: int = 16) -> int:
    """New tokens enough for the longest gold answer (see :func:`gold_answer_text`) of the items
    ``config`` selects, plus ``margin``; at least 32 (room for a refusal on items without one)."""
    return max(fitted_max_tokens_by_category(config, tokenizer, margin).values(), default=32)


def fitted_max_tokens_by_category(config: EvalConfig, tokenizer: Any, margin: int = 16) -> dict[str, int]:
    """Per category: the longest gold answer's tokens + ``margin``, at least 32 (categories without gold
    answers, e.g. irrelevance, get 32: room for a refusal)."""
    out: dict[str, int] = {}
    for category, entry, answer in select_entries(config):
        n = len(tokenizer(gold_answer_text(entry, answer), add_special_tokens=False)["input_ids"]) if answer else 0
        out[category] = max(out.get(category, 32), n + margin)
    return out


def _batch_size(gen: Generator, chunk_size: int | None) -> int:
    if chunk_size is not None:
        return chunk_size
    config = getattr(gen, "config", None)
    return int(getattr(config, "batch_size", 16)) if getattr(config, "backend", "") == "hf" else 16


def _prompt_chars(request: ChatRequest) -> int:
    return sum(len(m.content or "") for m in request.messages) + sum(len(t.name) for t in request.tools)


def _prompt_record(request: ChatRequest) -> dict[str, Any]:
    return {
        "messages": [m.model_dump(mode="json", exclude_none=True) for m in request.messages],
        "tools": [t.to_openai(strip_extensions=True) for t in request.tools],
    }


def run_bfcl_eval(
    config: EvalConfig,
    out_dir: str | Path,
    *,
    generator: Generator | None = None,
    chunk_size: int | None = None,
    resume: bool = False,
    progress: bool = True,
) -> EvalResult:
    """Evaluate ``config.model`` on ``config.categories``; see the module doc for the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items_path = out / RESULTS_FILE
    done = {(d["category"], d["id"]) for d in load_items(out)} if resume else set()
    if not resume and items_path.exists():
        items_path.unlink()
    selected = [s for s in select_entries(config) if (s[0], str(s[1]["id"])) not in done]
    own_generator = generator is None
    gen = generator or make_generator(config)
    budgets: dict[str, int] = {}
    loaded = getattr(gen, "loaded", None)
    if config.fit_max_tokens and loaded is not None:  # hf backend: the model's own tokenizer
        budgets = {c: min(config.max_tokens, n) for c, n in fitted_max_tokens_by_category(config, loaded.tokenizer).items()}
    all_requests = [build_request(entry, cat, config) for cat, entry, _ in selected]
    for (category, _, _), request in zip(selected, all_requests, strict=True):
        request.max_tokens = budgets.get(category, request.max_tokens)
    # batches of similar budget and prompt length (stable: ties stay in file order)
    order = sorted(range(len(selected)), key=lambda i: (-all_requests[i].max_tokens, -_prompt_chars(all_requests[i])))
    size = max(1, _batch_size(gen, chunk_size))
    start = time.perf_counter()
    try:
        with items_path.open("a") as sink, progress_bar(progress, len(selected)) as advance:
            for b in range(0, len(order), size):
                chunk = [selected[i] for i in order[b : b + size]]
                requests = [all_requests[i] for i in order[b : b + size]]
                responses = gen.generate(requests)
                for (category, entry, answer), request, response in zip(chunk, requests, responses, strict=True):
                    item = score_output(
                        category, response.text, entry, answer, mode=config.prompt_mode,
                        tool_calls=response.tool_calls if config.prompt_mode == "native" else None,
                        underscore_to_dot=config.underscore_to_dot,
                    )
                    line = {**item.model_dump(mode="json"), "prompt": _prompt_record(request),
                            "finish_reason": response.finish_reason, "seconds": response.seconds,
                            "usage": response.usage.model_dump()}
                    sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                sink.flush()
                advance(len(chunk))
    finally:
        if own_generator:
            gen.close()
    items = load_item_results(out)
    result = build_result(
        config.display_name(), items, seconds=time.perf_counter() - start, out_dir=str(out),
        config=config.model_dump(mode="json"), generator=gen.describe(),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), machine=machine_description(),
    )
    write_result_files(result, out)
    return result


class progress_bar:
    """A rich progress bar (or nothing) that yields an ``advance(n)`` callable."""

    def __init__(self, enabled: bool, total: int, label: str = "BFCL eval") -> None:
        self.enabled, self.total, self.label = enabled, total, label
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda n: None
        from rich.progress import Progress

        self._bar = Progress(transient=False)
        self._bar.__enter__()
        task = self._bar.add_task(self.label, total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
