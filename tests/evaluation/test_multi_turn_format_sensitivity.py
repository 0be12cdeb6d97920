"""BFCL v4 format_sensitivity: items, prompts, decoding and verdicts identical to bfcl-eval's.

bfcl-eval is imported as in the single-turn agreement test (a one-entry replacement of its
``constants.model_config`` and stand-ins for the tree-sitter Java/JS parser modules, which these
Python-only paths never call)."""

from __future__ import annotations

import copy
import json
import sys
import types
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from xlam.bfcl.format_sensitivity import all_configs, items, parse_config, prompt_messages, spread
from xlam.evaluation.format_sensitivity import score_item

MODEL = "xlam/agreement"
ENTRIES = 200  # base entries x 26 configs in the verdict test (all)


@pytest.fixture(scope="module")
def official() -> Any:
    config = types.ModuleType("bfcl_eval.constants.model_config")
    config.MODEL_CONFIG_MAPPING = {MODEL: types.SimpleNamespace(underscore_to_dot=False)}  # type: ignore[attr-defined]
    saved = sys.modules.get("bfcl_eval.constants.model_config")
    sys.modules["bfcl_eval.constants.model_config"] = config
    for name in ("bfcl_eval.model_handler.parser.java_parser", "bfcl_eval.model_handler.parser.js_parser"):
        if name not in sys.modules:
            parser = types.ModuleType(name)
            parser.parse_java_function_call = parser.parse_javascript_function_call = None  # type: ignore[attr-defined]
            sys.modules[name] = parser
    from bfcl_eval.constants.enums import Language, ReturnFormat
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    from bfcl_eval.model_handler.utils import (
        default_decode_ast_prompting,
        system_prompt_pre_processing_chat_model,
    )
    from bfcl_eval.utils import (
        get_all_format_sensitivity_configs,
        is_function_calling_format_output,
        load_dataset_entry,
    )

    yield types.SimpleNamespace(
        ast_checker=ast_checker, Language=Language, ReturnFormat=ReturnFormat, decode=default_decode_ast_prompting,
        prompt=system_prompt_pre_processing_chat_model, configs=get_all_format_sensitivity_configs,
        is_format=is_function_calling_format_output, load=load_dataset_entry,
    )
    if saved is None:
        sys.modules.pop("bfcl_eval.constants.model_config", None)


def test_items_and_prompts_identical(official: Any) -> None:
    assert all_configs() == official.configs()
    theirs = official.load("format_sensitivity")
    ours = items()
    assert [i["id"] for i in ours] == [e["id"] for e in theirs] and len(ours) == 5200
    for item, entry in zip(ours, theirs, strict=True):
        expected = official.prompt(copy.deepcopy(entry["question"][0]), entry["function"], entry["id"])
        got = [{"role": m.role, "content": m.content} for m in prompt_messages(item)]
        assert got == expected, item["id"]


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "dict"
    return "null" if value is None else "string"


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


def render(calls: list[tuple[str, dict[str, Any]]], config: str) -> str:
    ret, tag, *_ = parse_config(config)
    if ret == "python":
        text = "[" + ", ".join(f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls) + "]"
    elif ret == "json":
        text = "```json\n" + json.dumps([{"function": n, "parameters": a} for n, a in calls]) + "\n```"
    else:
        root = ET.Element("functions")
        for name, args in calls:
            fn = ET.SubElement(root, "function", name=name)
            parent = ET.SubElement(fn, "params") if ret == "verbose_xml" else fn
            for k, v in args.items():
                if ret == "verbose_xml":
                    ET.SubElement(parent, "param", name=k, value=_xml_text(v), type=_type(v))
                else:
                    ET.SubElement(parent, "param", name=k, type=_type(v)).text = _xml_text(v)
        text = ET.tostring(root, encoding="unicode")
    return f"<TOOLCALL>{text}</TOOLCALL>" if tag else text


def outputs(item: dict[str, Any]) -> list[tuple[str, str]]:
    gold = [(name, {k: v[0] for k, v in params.items() if v and v[0] != ""}) for call in item["answer"] for name, params in call.items()]
    config = item["config"]
    ret, tag, *_ = parse_config(config)
    wrong_value = [(n, {k: (v + "x" if isinstance(v, str) else v) for k, v in a.items()}) for n, a in gold]
    cases = [("gold", render(gold, config)), ("first_only", render(gold[:1], config)), ("wrong_value", render(wrong_value, config)),
             ("renamed", render([(n + "_x", a) for n, a in gold], config)), ("prose", "I would call the function for you."),
             ("empty_list", "[]"), ("other_format", render(gold, config.replace(f"ret_fmt={ret}", "ret_fmt=" + ("json" if ret != "json" else "python"))))]
    if tag:
        cases.append(("tag_missing", render(gold, config.replace("tool_call_tag=True", "tool_call_tag=False"))))
    else:
        cases.append(("unexpected_tag", render(gold, config.replace("tool_call_tag=False", "tool_call_tag=True"))))
    cases.append(("truncated", render(gold, config)[:-7]))
    return cases


def _theirs(official: Any, item: dict[str, Any], text: str) -> tuple[Any, ...]:
    ret, tag, *_ = parse_config(item["config"])
    try:
        decoded = official.decode(text, official.ReturnFormat(ret), tag)
    except Exception:
        return (False, "ast_decoder:decoder_failed")
    if not official.is_format(decoded):
        return (False, "ast_decoder:decoder_wrong_output_format")
    try:
        result = official.ast_checker(item["entry"]["function"], decoded, item["answer"], official.Language.PYTHON, item["id"].split(":")[-1], MODEL)
    except Exception as exc:
        return ("exception", type(exc).__name__)
    return (True, None) if result["valid"] else (False, result["error_type"])


def test_verdicts_identical(official: Any) -> None:
    checked, mismatches = 0, []
    outcomes: Counter[Any] = Counter()
    for item in items(limit=ENTRIES):
        for label, text in outputs(item):
            theirs = _theirs(official, item, text)
            mine = score_item(item, text)
            ours = (mine.valid, mine.error_type)
            checked += 1
            outcomes[(label, ours[1])] += 1
            if theirs != ours:
                mismatches.append((item["id"], label, text[:120], theirs, ours))
    assert not mismatches, f"{len(mismatches)}/{checked} differ, e.g. {mismatches[:3]}"
    print(f"format_sensitivity: {checked} verdicts identical; {Counter(e for (_, e) in outcomes.elements())}")
    assert outcomes[("gold", None)] >= 0.9 * ENTRIES * 26, outcomes
    assert len({e for _, e in outcomes}) >= 5, outcomes


def test_spread_and_cli_rescoring(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlam.cli.main import app

    assert spread({"a": 0.5, "b": 0.7, "c": 0.6}) == {"max_delta": 20.0, "std": 10.0, "variance": 100.0}
    chosen = items(limit=2)
    lines = []
    for i, item in enumerate(chosen):  # gold answers for python configs only
        gold = [(n, {k: v[0] for k, v in p.items() if v and v[0] != ""}) for c in item["answer"] for n, p in c.items()]
        text = render(gold, item["config"]) if parse_config(item["config"])[0] == "python" else f"answer {i}"
        lines.append(json.dumps({"id": item["id"], "output": text}))
    path = tmp_path / "outputs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["eval", "score", "--outputs", str(path), "--out", str(tmp_path / "scored")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "scored" / "summary.json").read_text())
    fs = summary["categories"]["format_sensitivity"]
    python_configs = sum(1 for c in all_configs() if c.startswith("ret_fmt=python"))
    assert fs["total"] == 52 and fs["correct"] == 2 * python_configs
    delta = next(s for s in summary["summaries"] if s["name"] == "format_sensitivity_max_delta")
    assert delta["value"] == pytest.approx(1.0)
    assert "## Format sensitivity per config" in (tmp_path / "scored" / "report.md").read_text()


def test_run_end_to_end_with_format_following_oracle(tmp_path: Path) -> None:
    """run_format_sensitivity_eval with a model that answers the gold calls in whatever format the
    system prompt asks for: every item decodes and the accuracy equals the gold verdicts."""
    from collections.abc import Sequence

    from xlam.evaluation import EvalConfig
    from xlam.evaluation.format_sensitivity import run_format_sensitivity_eval
    from xlam.generators import ChatRequest, ChatResponse, Generator

    chosen = items(limit=2)
    by_question = {(i["entry"]["question"][0][-1]["content"], i["config"]): i for i in chosen}
    markers = {"python": "[func_name1(", "json": '"function":"func_name1"', "verbose_xml": 'value="value1"', "concise_xml": ">value1</param>"}

    class FormatOracle(Generator):
        name = "format-oracle"
        calls = 0

        def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
            out = []
            for r in requests:
                FormatOracle.calls += 1
                system = r.messages[0].content or ""
                ret = next(k for k, m in markers.items() if m in system)
                tag = "<TOOLCALL>" in system
                style = "markdown" if "## Task" in system else "plaintext"
                matches = [i for (q, c), i in by_question.items() if q == r.messages[-1].content and parse_config(c)[:2] == (ret, tag)
                           and parse_config(c)[3] == style]
                item = matches[0]
                gold = [(n, {k: v[0] for k, v in p.items() if v and v[0] != ""}) for c in item["answer"] for n, p in c.items()]
                out.append(ChatResponse(text=render(gold, item["config"])))
            return out

    config = EvalConfig(model="format-oracle", categories=[], limit=2)
    result = run_format_sensitivity_eval(config, tmp_path, generator=FormatOracle())
    expected = sum(score_item(i, render([(n, {k: v[0] for k, v in p.items() if v and v[0] != ""}) for c in i["answer"] for n, p in c.items()], i["config"])).valid for i in chosen)
    assert result.categories["format_sensitivity"].total == 52 and result.categories["format_sensitivity"].correct == expected >= 50
    assert FormatOracle.calls == 52
    again = run_format_sensitivity_eval(config, tmp_path, generator=FormatOracle(), resume=True)
    assert FormatOracle.calls == 52 and again.categories["format_sensitivity"].correct == expected
