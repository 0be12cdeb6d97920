"""BFCL v4 question files + ``possible_answer`` files (the real files of the ``bfcl-eval`` wheel).

Input: the BFCL data directory (default: the installed package; ``categories`` picks which
files) or individual ``BFCL_v4_<category>.json`` files. Single-turn sample::

    question: {"id": "parallel_0", "question": [[{"role": "user", "content": "Play songs from
               Taylor Swift and Maroon 5, 20 and 15 minutes respectively, on Spotify."}]],
               "function": [{"name": "spotify.play", "parameters": {"type": "dict",
                 "properties": {"artist": {"type": "string"}, "duration": {"type": "integer"}},
                 "required": ["artist", "duration"]}}]}
    answer:   {"id": "parallel_0", "ground_truth": [{"spotify.play": {"artist": ["Taylor Swift"],
               "duration": [20]}}, {"spotify.play": {"artist": ["Maroon 5"], "duration": [15]}}]}

becomes a record with the id ``parallel_0``, category ``parallel``, the tools converted from
Gorilla types to JSON Schema (``Tool.from_bfcl``; Java/JavaScript types kept in ``x-bfcl-type``),
the ground truth as ``ground_truth.calls``, and a gold step whose calls take the first accepted
value of every parameter (parameters whose only accepted value is ``""`` are left out).
System messages become the task instruction; earlier assistant/user messages in the turn become
steps. Irrelevance and relevance entries have no answer file and no gold step.

Multi-turn entries (``multi_turn_*``) become one record per entry: the tools of every involved
class (``multi_turn_func_doc``), the first user turn as the query, one step per ground-truth call
(parsed from its Python call string) and the next user turn as the ``user_input`` of each turn's
last step; the raw call strings are kept in ``ground_truth.turns``, the step count of each turn in
``meta.bfcl_turn_steps``, and ``initial_config``, ``involved_classes``, ``missed_function`` (tools
held out until a later turn) and ``excluded_function`` in ``meta``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from xlam.bfcl import data as bfcl_data
from xlam.converters.base import Converter, ExportError, FieldError, SourceItem, require
from xlam.converters.registry import register
from xlam.records import Category, GroundTruth, Record, Step, Tool, ToolCall
from xlam.records.tool import BfclLanguage, bfcl_tool_fields

_FILE_RE = re.compile(r"^BFCL_v\d+_(?P<category>.+)\.json$")

CATEGORY_OF: dict[str, Category] = {
    "simple_python": Category.SIMPLE,
    "simple_java": Category.SIMPLE,
    "simple_javascript": Category.SIMPLE,
    "live_simple": Category.SIMPLE,
    "multiple": Category.MULTIPLE,
    "live_multiple": Category.MULTIPLE,
    "parallel": Category.PARALLEL,
    "live_parallel": Category.PARALLEL,
    "parallel_multiple": Category.PARALLEL_MULTIPLE,
    "live_parallel_multiple": Category.PARALLEL_MULTIPLE,
    "irrelevance": Category.IRRELEVANCE,
    "live_irrelevance": Category.IRRELEVANCE,
    "live_relevance": Category.RELEVANCE,
}


def _first_accepted(allowed: Any) -> tuple[bool, Any]:
    """(present, value): the first accepted value other than ``""`` (the "may be omitted" mark)."""
    if not isinstance(allowed, list):
        return True, allowed
    for value in allowed:
        if value != "":
            return True, value
    return False, None


def _gold_value(candidate: Any, schema: Mapping[str, Any]) -> Any:
    """Turn one accepted candidate into a concrete value. Dict candidates map each key to its own
    list of accepted values (BFCL dict checker); lists of dicts do so element-wise."""
    json_type = schema.get("type")
    if isinstance(candidate, dict) and json_type == "object":
        props = schema.get("properties", {})
        out = {}
        for key, allowed in candidate.items():
            present, value = _first_accepted(allowed)
            if present:
                out[key] = _gold_value(value, props.get(key, {}))
        return out
    if isinstance(candidate, list) and json_type == "array":
        items = schema.get("items", {})
        return [_gold_value(v, items) if isinstance(v, dict) else v for v in candidate]
    return candidate


def gold_calls(ground_truth: list[Any], tools: list[Tool], path: str = "ground_truth") -> list[ToolCall]:
    """One concrete call per ground-truth entry (the first accepted value of every parameter)."""
    properties: dict[str, Any] = {}
    for tool in tools:
        properties.setdefault(tool.name, tool.properties)
    return [ToolCall(**call) for call in _gold_call_dicts(ground_truth, properties, path)]


def _gold_call_dicts(ground_truth: list[Any], properties: Mapping[str, Any],
                     path: str = "ground_truth") -> list[dict[str, Any]]:
    """:func:`gold_calls` as plain dicts; ``properties`` maps each tool name to its properties."""
    calls = []
    for i, entry in enumerate(ground_truth):
        if not isinstance(entry, dict) or len(entry) != 1:
            raise FieldError(f"{path}[{i}]", "expected a single-key object {function: {param: [values]}}")
        (name, params), = entry.items()
        if not isinstance(params, dict):
            raise FieldError(f"{path}[{i}].{name}", "expected an object of parameters")
        props = properties.get(name, {})
        args = {}
        for pname, allowed in params.items():
            present, value = _first_accepted(allowed)
            if present:
                args[pname] = _gold_value(value, props.get(pname, {}))
        calls.append({"name": name, "arguments": args})
    return calls


def _literal(node: ast.expr) -> Any:
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        # A bare name or an expression: BFCL's decoder keeps its source text.
        return ast.unparse(node)
    return list(value) if isinstance(value, tuple) else value


def parse_call_string(text: str, tools: Mapping[str, Tool]) -> ToolCall:
    """``"mv(source='a', destination='b')"`` -> ToolCall; positional arguments are named after
    the tool's parameters in declaration order."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not a Python call: {exc.msg}") from exc
    if not isinstance(node, ast.Call):
        raise ValueError("not a Python call")
    name = ast.unparse(node.func)
    args: dict[str, Any] = {}
    if node.args:
        tool = tools.get(name)
        if tool is None:
            raise ValueError(f"positional arguments for unknown function {name!r}")
        order = list(tool.properties)
        if len(node.args) > len(order):
            raise ValueError(f"{name} takes {len(order)} parameters, got {len(node.args)} positional")
        for pname, arg in zip(order, node.args, strict=False):
            args[pname] = _literal(arg)
    for kw in node.keywords:
        if kw.arg is None:
            raise ValueError("**kwargs are not supported")
        args[kw.arg] = _literal(kw.value)
    return ToolCall(name=name, arguments=args)


def _turn_messages(turn: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(turn, list):
        raise FieldError(path, f"expected a list of messages, got {type(turn).__name__}")
    for j, msg in enumerate(turn):
        require(msg, "role", f"{path}[{j}]", str)
        require(msg, "content", f"{path}[{j}]", str)
    return turn


@register
class BfclConverter(Converter):
    name = "bfcl"
    description = "BFCL v4 question + possible_answer files (single-turn categories and multi-turn)"
    can_export = True

    def default_inputs(self) -> list[str]:
        from xlam.assets import bfcl_data_dir

        return [str(bfcl_data_dir())]

    def iter_source(self, path: str, options: Mapping[str, Any]) -> Iterator[SourceItem]:
        p = Path(path)
        if p.is_dir():
            wanted = options.get("categories") or [
                c for c in bfcl_data.BFCL_CATEGORIES if bfcl_data.question_file(c, p).is_file()
            ]
            for category in wanted:
                yield from self._iter_category(category, p)
            return
        match = _FILE_RE.match(p.name)
        if match is None or match.group("category") not in bfcl_data.BFCL_CATEGORIES:
            raise FieldError("", f"{path}: not a BFCL data directory or BFCL_v4_<category>.json file")
        yield from self._iter_category(match.group("category"), p.parent)

    def _iter_category(self, category: str, data_dir: Path) -> Iterator[SourceItem]:
        answers = bfcl_data.load_possible_answers(category, data_dir)
        path = bfcl_data.question_file(category, data_dir)
        context = {"category": category, "data_dir": str(data_dir)}
        for item in _iter_lines(path):
            entry_id = item.value.get("id") if isinstance(item.value, dict) else None
            yield SourceItem(item.path, item.line, item.value,
                             {**context, "ground_truth": answers.get(str(entry_id))})

    def convert(self, item: SourceItem) -> list[Record]:
        category = str(item.context.get("category") or bfcl_data.category_of_id(require(item.value, "id", "", str)))
        if bfcl_data.is_multi_turn(category):
            return [self._multi_turn(item, category)]
        return [self._single_turn(item, category)]

    def _single_turn(self, item: SourceItem, category: str) -> Record:
        # Hot path (every single-turn file in full): plain dicts, the record validated once.
        entry = item.value
        entry_id = require(entry, "id", "", str)
        language: BfclLanguage = bfcl_data.category_language(category)  # type: ignore[assignment]
        functions = require(entry, "function", "", list)
        tools = []
        for i, fn in enumerate(functions):
            require(fn, "name", f"function[{i}]", str)
            tools.append(bfcl_tool_fields(fn, language))  # validated with the record
        question = require(entry, "question", "", list)
        if len(question) != 1:
            raise FieldError("question", f"single-turn category {category} expects 1 turn, got {len(question)}")
        messages = _turn_messages(question[0], "question[0]")
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        rest = [m for m in messages if m["role"] != "system"]
        if not rest or rest[0]["role"] != "user":
            raise FieldError("question[0]", "expected a user message")
        steps: list[dict[str, Any]] = []
        for j, msg in enumerate(rest[1:], 1):
            if msg["role"] == "assistant":
                steps.append({"response": msg["content"]})
            elif msg["role"] == "user":
                if not steps or steps[-1].get("user_input"):
                    steps.append({})
                steps[-1]["user_input"] = msg["content"]
            else:
                raise FieldError(f"question[0][{j}].role", f"unexpected role {msg['role']!r}")
        truth = item.context.get("ground_truth")
        fields: dict[str, Any] = {}
        if truth is not None:
            fields["ground_truth"] = {"calls": truth}
            properties: dict[str, Any] = {}
            for tool in tools:  # not validated yet: a bad schema is reported by the record's validation
                props = tool["parameters"].get("properties")
                properties.setdefault(tool["name"], props if isinstance(props, dict) else {})
            steps.append({"tool_calls": _gold_call_dicts(truth, properties)})
        elif category not in bfcl_data.NO_ANSWER_CATEGORIES:
            raise FieldError("id", f"no possible answer for {entry_id}")
        fields.update(category=CATEGORY_OF[category], task_instruction=system, tools=tools, query=rest[0]["content"],
                      steps=steps, meta={"bfcl_category": category, "bfcl_language": language})
        return self.build_from_dict(item, entry_id, fields)

    def _multi_turn(self, item: SourceItem, category: str) -> Record:
        entry = item.value
        entry_id = require(entry, "id", "", str)
        classes = require(entry, "involved_classes", "", list)
        data_dir = item.context.get("data_dir")
        try:
            docs = bfcl_data.load_function_docs([str(c) for c in classes], data_dir)
        except ValueError as exc:
            raise FieldError("involved_classes", str(exc)) from exc
        tools = [Tool.from_bfcl(doc) for doc in docs]
        by_name = {t.name: t for t in tools}
        question = require(entry, "question", "", list)
        turns_text = []
        for t, raw_turn in enumerate(question):
            users = [m["content"] for m in _turn_messages(raw_turn, f"question[{t}]") if m["role"] == "user"]
            turns_text.append("\n".join(users))
        truth = item.context.get("ground_truth")
        if not isinstance(truth, list) or len(truth) != len(question):
            raise FieldError("ground_truth", f"expected {len(question)} turns of calls for {entry_id}")
        steps: list[Step] = []
        turn_steps: list[int] = []
        for t, calls in enumerate(truth):
            turn: list[Step] = []
            for k, text in enumerate(calls):
                try:
                    turn.append(Step(tool_calls=[parse_call_string(str(text), by_name)]))
                except ValueError as exc:
                    raise FieldError(f"ground_truth[{t}][{k}]", f"{text!r}: {exc}") from exc
            if not turn:
                turn.append(Step())
            if t + 1 < len(question):
                turn[-1].user_input = turns_text[t + 1]
            steps.extend(turn)
            turn_steps.append(len(turn))
        meta: dict[str, Any] = {"bfcl_category": category, "bfcl_language": "python", "bfcl_turn_steps": turn_steps}
        for key in ("involved_classes", "initial_config", "path", "missed_function", "excluded_function"):
            if key in entry:
                meta[key] = entry[key]
        return self.build(item, entry_id, category=Category.MULTI_TURN, tools=tools, query=turns_text[0],
                          steps=steps, ground_truth=GroundTruth(turns=[[str(c) for c in turn] for turn in truth]),
                          meta=meta)


    def export(self, record: Record) -> dict[str, Any]:
        """A single-turn BFCL question entry with its ``ground_truth`` (the possible answer) inline.

        BFCL-born records come back as their source entry; other records get their gold calls
        as exact-value ground truth. :func:`write_bfcl_files` splits rows into BFCL's two files.
        """
        if record.category == Category.MULTI_TURN or (record.ground_truth and record.ground_truth.turns):
            raise ExportError(f"{record.id}: multi-turn records cannot be exported as BFCL single-turn entries")
        language = record.meta.get("bfcl_language", "python")
        turn: list[dict[str, str]] = []
        if record.task_instruction:
            turn.append({"role": "system", "content": record.task_instruction})
        turn.append({"role": "user", "content": record.query})
        steps = list(record.steps)
        gold = steps.pop() if steps and steps[-1].tool_calls else None
        for step in steps:
            if step.tool_calls or step.observations or step.thought:
                raise ExportError(f"{record.id}: BFCL single-turn entries hold no earlier calls or thoughts")
            if step.response:
                turn.append({"role": "assistant", "content": step.response})
            if step.user_input:
                turn.append({"role": "user", "content": step.user_input})
        row: dict[str, Any] = {"id": record.id, "question": [turn], "function": [t.to_bfcl() for t in record.tools]}
        if record.ground_truth is not None:
            row["ground_truth"] = record.ground_truth.calls
        elif gold is not None:
            row["ground_truth"] = [{c.name: {k: [v] for k, v in c.arguments.items()}} for c in gold.tool_calls]
        if language != "python":
            row["language"] = language
        return row


def write_bfcl_files(rows: Iterable[dict[str, Any]], question_path: str | Path) -> tuple[Path, Path | None]:
    """Write exported rows as BFCL's question file and ``possible_answer/<same name>`` (when any
    row has a ground truth). Both files appear only once both are complete. Returns their paths."""
    question_path = Path(question_path)
    answer_path = question_path.parent / "possible_answer" / question_path.name
    answer_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_q = question_path.with_name(f".{question_path.name}.tmp")
    tmp_a = answer_path.with_name(f".{answer_path.name}.tmp")
    answers = 0
    try:
        with tmp_q.open("wb") as fq, tmp_a.open("wb") as fa:
            for row in rows:
                fq.write(orjson.dumps({k: v for k, v in row.items() if k not in ("ground_truth", "language")}) + b"\n")
                if "ground_truth" in row:
                    fa.write(orjson.dumps({"id": row["id"], "ground_truth": row["ground_truth"]}) + b"\n")
                    answers += 1
        tmp_q.replace(question_path)
        if answers:
            tmp_a.replace(answer_path)
        else:
            tmp_a.unlink()
    except BaseException:
        tmp_q.unlink(missing_ok=True)
        tmp_a.unlink(missing_ok=True)
        raise
    return question_path, answer_path if answers else None


def _iter_lines(path: Path) -> Iterator[SourceItem]:
    from xlam.converters.base import iter_json_items

    return iter_json_items(path)
