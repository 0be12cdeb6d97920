"""BFCL v4 data files: questions, possible answers and multi-turn function docs.

The files ship in the ``bfcl-eval`` wheel (``xlam.assets.bfcl_data_dir()``); every function here
also takes ``data_dir`` to read a copy elsewhere. Files are JSON lines
(``BFCL_v4_<category>.json``; answers in ``possible_answer/`` with the same name).

Sample question (``BFCL_v4_simple_python.json``)::

    {"id": "simple_python_0",
     "question": [[{"role": "user", "content": "Find the area of a triangle with a base of 10 units and height of 5 units."}]],
     "function": [{"name": "calculate_triangle_area", "description": "...",
                   "parameters": {"type": "dict", "properties": {"base": {"type": "integer", ...}, ...},
                                  "required": ["base", "height"]}}]}

Sample answer: ``{"id": "simple_python_0", "ground_truth": [{"calculate_triangle_area":
{"base": [10], "height": [5], "unit": ["units", ""]}}]}``.

Multi-turn entries carry ``involved_classes`` instead of ``function``; their docs come from
``multi_turn_func_doc/<class file>.json`` (see :func:`load_function_docs`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from xlam.errors import RecordError
from xlam.jsonl import iter_jsonl

SINGLE_TURN_CATEGORIES: tuple[str, ...] = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "live_irrelevance",
    "live_relevance",
)
MULTI_TURN_CATEGORIES: tuple[str, ...] = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
BFCL_CATEGORIES: tuple[str, ...] = SINGLE_TURN_CATEGORIES + MULTI_TURN_CATEGORIES
# Agentic (v4): memory (one shared question file BFCL_v4_memory.json, run once per back-end, after the
# scenario's prerequisite conversations in memory_prereq_conversation/) and web search (needs the internet).
MEMORY_BACKENDS: tuple[str, ...] = ("kv", "vector", "rec_sum")
MEMORY_CATEGORIES: tuple[str, ...] = tuple(f"memory_{b}" for b in MEMORY_BACKENDS)
MEMORY_SCENARIOS: tuple[str, ...] = ("student", "customer", "finance", "healthcare", "notetaker")
WEB_SEARCH_CATEGORIES: tuple[str, ...] = ("web_search_base", "web_search_no_snippet")
AGENTIC_CATEGORIES: tuple[str, ...] = MEMORY_CATEGORIES + WEB_SEARCH_CATEGORIES
#: Every category that counts in BFCL v4's overall score (format_sensitivity does not).
V4_SCORING_CATEGORIES: tuple[str, ...] = BFCL_CATEGORIES + AGENTIC_CATEGORIES
# Categories whose file has no possible_answer counterpart (scored on call / no call only).
NO_ANSWER_CATEGORIES: frozenset[str] = frozenset({"irrelevance", "live_irrelevance", "live_relevance"})

# bfcl_eval.constants.executable_backend_config.MULTI_TURN_FUNC_DOC_FILE_MAPPING
MULTI_TURN_FUNC_DOC_FILES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
    "WebSearchAPI": "web_search.json",
    "MemoryAPI_kv": "memory_kv.json",
    "MemoryAPI_vector": "memory_vector.json",
    "MemoryAPI_rec_sum": "memory_rec_sum.json",
}


def _dir(data_dir: str | Path | None) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    from xlam.assets import bfcl_data_dir

    return bfcl_data_dir()


def _check(category: str) -> None:
    if category not in BFCL_CATEGORIES:
        raise ValueError(f"unknown BFCL category {category!r}; known: {', '.join(BFCL_CATEGORIES)}")


def is_multi_turn(category: str) -> bool:
    return category.startswith("multi_turn")


def is_memory(category: str) -> bool:
    return category.startswith("memory")


def category_language(category: str) -> str:
    """``java`` / ``javascript`` for the Java and JavaScript files, else ``python``."""
    if category == "simple_java":
        return "java"
    if category == "simple_javascript":
        return "javascript"
    return "python"


def category_of_id(entry_id: str) -> str:
    """The category of an entry id (``live_simple_3-2-1`` -> ``live_simple``; ``memory_kv_0-customer-0``
    and the prerequisite ``memory_kv_prereq_22-student-0`` -> ``memory_kv``)."""
    for category in sorted(V4_SCORING_CATEGORIES, key=len, reverse=True):
        if entry_id.startswith(category + "_"):
            return category
    raise ValueError(f"no BFCL category matches id {entry_id!r}")


def question_file(category: str, data_dir: str | Path | None = None) -> Path:
    _check(category)
    return _dir(data_dir) / f"BFCL_v4_{category}.json"


BFCL_SCHEME = "bfcl://"


def resolve_bfcl_uri(uri: str) -> str:
    """``bfcl://CATEGORY`` names the question file of the installed bfcl-eval package; any other URI is
    returned unchanged (the one resolver: the kfp pipeline steps and the control plane's stage runner use it)."""
    if uri.startswith(BFCL_SCHEME):
        return str(question_file(uri.removeprefix(BFCL_SCHEME)))
    return uri


def answer_file(category: str, data_dir: str | Path | None = None) -> Path | None:
    """The possible-answer file, or None for categories that have none."""
    _check(category)
    if category in NO_ANSWER_CATEGORIES:
        return None
    return _dir(data_dir) / "possible_answer" / f"BFCL_v4_{category}.json"


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Parse a JSON-lines file of objects; a bad line raises :class:`RecordError` with its line number."""
    out: list[dict[str, Any]] = []
    for lineno, value in iter_jsonl(path):
        if not isinstance(value, dict):
            raise RecordError(str(path), lineno, "", f"expected a JSON object, got {type(value).__name__}")
        out.append(value)
    return out


def load_questions(category: str, data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """All entries of a category's question file, in file order."""
    return read_jsonl(question_file(category, data_dir))


def load_possible_answers(category: str, data_dir: str | Path | None = None) -> dict[str, list[Any]]:
    """``{entry id: ground_truth}``; empty for categories without an answer file.

    Single-turn ground truth is ``[{function: {param: [allowed values]}}, ...]``; multi-turn is a
    list per turn of Python call strings.
    """
    path = answer_file(category, data_dir)
    if path is None or not path.is_file():
        return {}
    return {str(row["id"]): list(row["ground_truth"]) for row in read_jsonl(path)}


def load_entries(categories: Iterable[str], data_dir: str | Path | None = None) -> tuple[dict[str, dict[str, Any]], dict[str, list[Any]]]:
    """The questions (by id) and possible answers (by id) of several categories together."""
    questions: dict[str, dict[str, Any]] = {}
    answers: dict[str, list[Any]] = {}
    for category in categories:
        questions.update({str(q["id"]): q for q in load_questions(category, data_dir)})
        answers.update(load_possible_answers(category, data_dir))
    return questions, answers


@lru_cache(maxsize=64)
def _function_docs(directory: str, involved_class: str) -> tuple[dict[str, Any], ...]:
    name = MULTI_TURN_FUNC_DOC_FILES.get(involved_class)
    if name is None:
        raise ValueError(f"unknown BFCL multi-turn class {involved_class!r}")
    return tuple(read_jsonl(Path(directory) / "multi_turn_func_doc" / name))


def load_function_docs(involved_classes: list[str], data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Function docs (BFCL ``function`` entries) of the multi-turn backend classes, in class order."""
    directory = str(_dir(data_dir))
    return [dict(doc) for cls in involved_classes for doc in _function_docs(directory, cls)]
