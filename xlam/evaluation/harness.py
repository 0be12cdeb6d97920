"""The BFCL evaluation harness: generate answers with a generator backend, score them, write reports.

``run_bfcl_eval(config, out_dir)`` writes into ``out_dir``:

- ``results.jsonl``: one line per item - id, category, prompt (messages and tools), raw output,
  decoded calls, valid, error_type, errors, finish_reason, seconds - appended as batches finish, so
  an interrupted run keeps its work and ``resume=True`` continues it;
- ``summary.json`` (:class:`EvalResult`), ``report.md`` and ``accuracy.png``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from pathlib import Path
from typing import Any

from xlam.bfcl.data import load_possible_answers, load_questions
from xlam.bfcl.scoring import ItemResult, score_output
from xlam.evaluation.config import EvalConfig
from xlam.evaluation.generation import build_request, make_generator
from xlam.evaluation.results import RESULTS_FILE, EvalResult, build_result, load_items, write_result_files
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
    chunk_size: int = 16,
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
    start = time.perf_counter()
    try:
        with items_path.open("a") as sink, _progress(progress, len(selected)) as advance:
            for b in range(0, len(selected), chunk_size):
                chunk = selected[b : b + chunk_size]
                requests = [build_request(entry, cat, config) for cat, entry, _ in chunk]
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
    items = [ItemResult.model_validate({k: d[k] for k in ItemResult.model_fields if k in d}) for d in load_items(out)]
    result = build_result(
        config.display_name(), items, seconds=time.perf_counter() - start, out_dir=str(out),
        config=config.model_dump(mode="json"), generator=gen.describe(),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), machine=machine_description(),
    )
    write_result_files(result, out)
    return result


class _progress:
    """A rich progress bar (or nothing) that yields an ``advance(n)`` callable."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda n: None
        from rich.progress import Progress

        self._bar = Progress(transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("BFCL eval", total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
