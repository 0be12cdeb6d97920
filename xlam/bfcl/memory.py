"""BFCL v4 memory categories (agentic): entries, prerequisite conversations, prompts and answers.

How BFCL runs them (``bfcl_eval.utils.process_memory_test_case`` / ``process_agentic_test_case``,
``model_handler.utils.add_memory_instruction_system_prompt``, the memory back-ends in
``func_source_code/memory_*.py``), reproduced here with the package's own back-end classes:

- Each back-end (``kv``: core + archival key-value memory with BM25 search; ``rec_sum``: one
  recursively summarised text; ``vector``: embeddings, needs sentence-transformers, faiss and the
  all-MiniLM-L6-v2 weights) is a category ``memory_<backend>``. Ids ``memory_...`` become
  ``memory_<backend>_...``.
- Per scenario (student, customer, finance, healthcare, notetaker) the *prerequisite conversations*
  (``memory_prereq_conversation/memory_<scenario>.json``, multi-turn, user turns only) run first, in
  order, each starting from the memory the previous one left; after each, the back-end flushes its
  memory to ``<result dir>/agentic/memory/<backend>/memory_snapshot/`` (BFCL's own files).
  Prerequisites are not scored.
- The questions (``BFCL_v4_memory.json``, 155) then start from the scenario's final snapshot. The
  first turn gets BFCL's agentic answer-format system prompt and, in front of it, the memory
  instruction with the scenario setting and the core memory content.
- Scoring: the last message that is not a call must contain one of the possible answers
  (:func:`xlam.bfcl.multi_turn_checker.check_agentic`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from xlam.bfcl.data import MEMORY_SCENARIOS, _dir, read_jsonl


def _default_prompts() -> Any:
    from bfcl_eval.constants import default_prompts

    return default_prompts


def backend_of(category: str) -> str:
    return category.removeprefix("memory_")


def backend_class(category: str) -> str:
    return f"MemoryAPI_{backend_of(category)}"


def is_prereq(entry_id: str) -> bool:
    return "prereq" in entry_id


def memory_entries(
    category: str, data_dir: str | Path | None = None, *, limit: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(prerequisite conversations, questions) of a memory category, as BFCL prepares them.

    ``limit`` takes the first questions in file order; only the prerequisites of their scenarios are
    returned. Each entry gets ``depends_on`` (ids that must finish first) and ``involved_classes``.
    """
    base = _dir(data_dir)
    cls = backend_class(category)
    questions = read_jsonl(base / "BFCL_v4_memory.json")
    if limit is not None:
        questions = questions[:limit]
    scenarios = [s for s in MEMORY_SCENARIOS if any(q.get("scenario") == s for q in questions)]
    prereqs: list[dict[str, Any]] = []
    chain: dict[str, list[str]] = {}
    for scenario in scenarios:
        ids: list[str] = []
        for raw in read_jsonl(base / "memory_prereq_conversation" / f"memory_{scenario}.json"):
            entry = copy.deepcopy(raw)
            entry["id"] = entry["id"].replace("memory", category)
            entry["depends_on"] = list(ids)
            entry["involved_classes"] = [cls]
            ids.append(entry["id"])
            prereqs.append(entry)
        chain[scenario] = ids
    out = []
    for raw in questions:
        entry = copy.deepcopy(raw)
        entry["id"] = entry["id"].replace("memory", category)
        entry["depends_on"] = list(chain[entry["scenario"]])
        entry["involved_classes"] = [cls]
        entry["question"][0].insert(0, {"role": "system", "content": _default_prompts().ADDITIONAL_SYSTEM_PROMPT_FOR_AGENTIC_RESPONSE_FORMAT})
        out.append(entry)
    return prereqs, out


def memory_answers(category: str, data_dir: str | Path | None = None) -> dict[str, list[str]]:
    """``{question id: possible answers}`` for a memory category."""
    rows = read_jsonl(_dir(data_dir) / "possible_answer" / "BFCL_v4_memory.json")
    return {str(r["id"]).replace("memory", category): list(r["ground_truth"]) for r in rows}


def memory_initial_config(entry: dict[str, Any], category: str, result_dir: Path) -> dict[str, Any]:
    """The back-end's ``initial_config`` (BFCL's ``populate_initial_settings_for_memory_test_cases``)."""
    return {
        backend_class(category): {
            "model_result_dir": Path(result_dir),
            "scenario": entry["scenario"],
            "test_id": entry["id"],
            "test_category": category if not is_prereq(entry["id"]) else f"{category}_prereq",
        }
    }


def memory_system_prompt(category: str, scenario: str, instance: Any) -> str:
    """BFCL's memory instruction: scenario setting and the back-end's core memory content."""
    prompts = _default_prompts()
    template = prompts.MEMORY_BACKEND_INSTRUCTION_UNIFIED if "rec_sum" in category else prompts.MEMORY_BACKEND_INSTRUCTION_CORE_ARCHIVAL
    return str(template.format(scenario_setting=prompts.MEMORY_AGENT_SETTINGS[scenario], memory_content=instance._dump_core_memory_to_context()))


def add_memory_prompt(first_turn: list[dict[str, Any]], prompt: str) -> list[dict[str, Any]]:
    """Put ``prompt`` in front of the first turn's system message (or as a new one)."""
    out = [dict(m) for m in first_turn]
    if out and out[0]["role"] == "system":
        out[0]["content"] = prompt + "\n\n" + out[0]["content"]
    else:
        out.insert(0, {"role": "system", "content": prompt})
    return out


def snapshot_dir(result_dir: Path, category: str) -> Path:
    """Where BFCL's memory back-ends keep their snapshots for ``category`` under ``result_dir``."""
    return Path(result_dir) / "agentic" / "memory" / backend_of(category)
