"""BFCL v4 ``format_sensitivity``: 200 single-turn entries under 26 system-prompt variants.

As bfcl-eval builds and scores it (``utils.load_format_sensitivity_test_cases``,
``model_handler.utils.formulate_system_prompt`` / ``default_decode_ast_prompting``,
``eval_runner.format_sensitivity_runner``):

- entries: the ids of ``BFCL_v4_format_sensitivity.json`` (simple_python, multiple, parallel,
  parallel_multiple and the four live AST categories), in dataset order per category; each runs
  under every config, id ``format_sensitivity_<n>:<config>:<original id>``;
- a config ``ret_fmt=python|json|verbose_xml|concise_xml&tool_call_tag=True|False&
  func_doc_fmt=python|xml|json&prompt_fmt=plaintext|markdown&style=classic|experimental`` picks the
  answer format the prompt asks for, whether calls go inside ``<TOOLCALL>..</TOOLCALL>``, how the
  functions are listed, the prompt layout and its wording (24 plaintext/classic combinations, one
  markdown, one experimental);
- decoding follows the config's answer format (Python call list, JSON ``[{"function",
  "parameters"}]``, ``<functions>`` XML with ``value`` attributes or element text), then the AST
  checker of the entry's own category (:func:`xlam.bfcl.checker.check`);
- reported: accuracy over all items, per config, and the spread across configs (max - min, standard
  deviation, variance in percentage points). Format sensitivity is not part of the v4 overall.

The prompt texts are bfcl-eval's own constants (``bfcl_eval.constants.default_prompts``).
"""

from __future__ import annotations

import ast
import json
import re
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from xlam.bfcl.data import _dir, load_possible_answers, load_questions
from xlam.bfcl.prompts import entry_messages, preprocess_functions
from xlam.formats import FormatParseError, bfcl_decode_python
from xlam.formats.python_calls import _resolve_call
from xlam.records import Message

CATEGORY = "format_sensitivity"
_CONFIG = re.compile(
    r"^ret_fmt=(?P<ret>python|json|verbose_xml|concise_xml)&tool_call_tag=(?P<tag>True|False)"
    r"&func_doc_fmt=(?P<doc>python|xml|json)&prompt_fmt=(?P<layout>plaintext|markdown)&style=(?P<style>classic|experimental)$"
)


def all_configs() -> list[str]:
    """The 26 configs in bfcl-eval's order."""
    out = [
        f"ret_fmt={ret}&tool_call_tag={tag}&func_doc_fmt={doc}&prompt_fmt=plaintext&style=classic"
        for ret in ("python", "json", "verbose_xml", "concise_xml")
        for tag in ("True", "False")
        for doc in ("python", "xml", "json")
    ]
    out.append("ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=markdown&style=classic")
    out.append("ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=plaintext&style=experimental")
    return out


def parse_config(config: str) -> tuple[str, bool, str, str, str]:
    """(answer format, tool-call tag, function-doc format, prompt layout, style); ValueError if malformed."""
    match = _CONFIG.match(config)
    if not match:
        raise ValueError(f"invalid format-sensitivity config {config!r}")
    return match["ret"], match["tag"] == "True", match["doc"], match["layout"], match["style"]


# --- entries ------------------------------------------------------------------------------------------
def base_entries(data_dir: str | Path | None = None, limit: int | None = None) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(original category, entry, possible answer) of the 200 format-sensitivity entries (first ``limit``)."""
    ids_by_category = json.loads((_dir(data_dir) / "BFCL_v4_format_sensitivity.json").read_text())
    out = []
    for category, ids in ids_by_category.items():
        if not ids:
            continue
        wanted = set(ids)
        answers = load_possible_answers(category, data_dir)
        out += [(category, e, answers[e["id"]]) for e in load_questions(category, data_dir) if e["id"] in wanted]
    return out[:limit] if limit else out


def items(data_dir: str | Path | None = None, limit: int | None = None, configs: list[str] | None = None) -> list[dict[str, Any]]:
    """Every (entry, config) item: ``{"id", "config", "category", "entry", "answer"}`` in bfcl-eval's order."""
    configs = configs or all_configs()
    out, index = [], 0
    for category, entry, answer in base_entries(data_dir, limit):
        for config in configs:
            out.append({"id": f"{CATEGORY}_{index}:{config}:{entry['id']}", "config": config, "category": category,
                        "entry": entry, "answer": answer})
            index += 1
    return out


def split_id(item_id: str) -> tuple[str, str]:
    """``format_sensitivity_<n>:<config>:<original id>`` -> (config, original id)."""
    parts = item_id.split(":")
    if len(parts) != 3 or not parts[0].startswith(CATEGORY + "_"):
        raise ValueError(f"not a format-sensitivity id: {item_id!r}")
    return parts[1], parts[2]


# --- prompts ------------------------------------------------------------------------------------------
def _prompts() -> Any:
    from bfcl_eval.constants import default_prompts

    return default_prompts


def _doc_xml(functions: list[dict[str, Any]]) -> str:
    def param(name: str, meta: dict[str, Any], required: list[str] | None, level: int) -> str:
        indent = " " * level * 2
        p_type, desc = meta.get("type", "string"), meta.get("description", "")
        is_required = "true" if required is None or name in required else "false"
        if "enum" in meta:
            desc += f" Enum values: {meta['enum']}."
        if "items" in meta and "type" in meta["items"]:
            p_type = f"{p_type}[{meta['items']['type']}]"
        elif "additionalProperties" in meta:
            p_type = f"{p_type}[{meta['additionalProperties'].get('type', 'string')}]"
        attrs = [f'name="{name}", type="{p_type}", required="{is_required}"']
        if "default" in meta:
            attrs.append(f'default="{meta["default"]!r}"')
        parts = [f"{indent}<param " + " ".join(attrs).replace(",", "") + ">\n", f"{indent}  <desc>{desc}</desc>\n"]
        if "properties" in meta:
            parts.append(f"{indent}  <params>\n")
            parts += [param(n, m, meta.get("required"), level + 2) for n, m in meta["properties"].items()]
            parts.append(f"{indent}  </params>\n")
        parts.append(f"{indent}</param>\n")
        return "".join(parts)

    blocks = []
    for fn in functions:
        schema = fn["parameters"]
        body = "".join(param(n, m, schema.get("required"), 2) for n, m in schema.get("properties", {}).items())
        blocks.append(f'<function name="{fn["name"]}">\n  <desc>{fn.get("description", "")}</desc>\n  <params>\n{body}  </params>\n</function>\n')
    return "\n".join(blocks)


def _py_type(meta: dict[str, Any]) -> str:
    t = meta.get("type", "string")
    primitive = {"string": "str", "number": "float", "integer": "int", "boolean": "bool"}
    if t in primitive:
        return primitive[t]
    if t in {"array", "list", "tuple"} and "items" in meta:
        return f"list[{_py_type(meta['items'])}]"
    if t in {"object", "dict"}:
        return f"dict[str, {_py_type(meta['additionalProperties'])}]" if "additionalProperties" in meta else "dict"
    return str(t)


def _doc_python(functions: list[dict[str, Any]]) -> str:
    def param(name: str, meta: dict[str, Any], depth: int) -> list[str]:
        desc = meta.get("description", "")
        if "enum" in meta:
            desc += f" Enum values: {meta['enum']}."
        default = f", default={meta['default']!r}" if "default" in meta else ""
        lines = [f"{' ' * 8}{' ' * 4 * depth}{name} ({_py_type(meta)}{default}): {desc}\n"]
        for child, child_meta in meta.get("properties", {}).items():
            lines += param(child, child_meta, depth + 1)
        return lines

    docs = []
    for fn in functions:
        lines = [f"# Function: {fn['name']}\n", '    """\n', f"    {fn.get('description', '')}\n\n"]
        props = fn.get("parameters", {}).get("properties", {})
        if props:
            lines.append("    Args:\n")
            for name, meta in props.items():
                lines += param(name, meta, 0)
        lines.append('    """\n')
        docs += ["".join(lines), "\n"]
    return "\n\n".join(docs)


def system_prompt(config: str, functions: list[dict[str, Any]]) -> str:
    """bfcl-eval's ``formulate_system_prompt`` for ``config`` and (pre-processed) ``functions``."""
    ret, tag, doc, layout, style = parse_config(config)
    p = _prompts()
    docs = _doc_xml(functions) if doc == "xml" else _doc_python(functions) if doc == "python" else json.dumps(functions, indent=4)
    templates = p.PROMPT_STYLE_TEMPLATES[style]
    call_format = templates["tool_call_with_tag" if tag else "tool_call_no_tag"].format(
        output_format=p.OUTPUT_FORMAT_MAPPING[ret], param_types=p.PARAM_TYPE_MAPPING[ret]
    )
    return str(p.PROMPT_TEMPLATE_MAPPING[layout].format(
        persona=templates["persona"], task=templates["task"], tool_call_format=call_format,
        multiturn_behavior=templates["multiturn_behavior"],
        available_tools=templates["available_tools"].format(format=doc, functions=docs),
    ))


def prompt_messages(item: dict[str, Any]) -> list[Message]:
    """The item's conversation: the config's system prompt merged with the entry's messages.

    bfcl-eval adds the language hint to these entries twice (once loading the original category,
    once loading format_sensitivity); so do we, to send the same prompt."""
    functions = preprocess_functions(preprocess_functions(item["entry"]["function"], item["category"]), item["category"])
    prompt = system_prompt(item["config"], functions)
    messages = entry_messages(item["entry"])
    if messages and messages[0].role == "system":
        messages[0] = Message(role="system", content=prompt + "\n\n" + (messages[0].content or ""))
    else:
        messages.insert(0, Message(role="system", content=prompt))
    return messages


# --- decoding -----------------------------------------------------------------------------------------
def _convert(raw: str, type_str: str) -> Any:
    if type_str == "string":
        return raw
    if type_str == "integer":
        return int(raw)
    if type_str == "float":
        return float(raw)
    if type_str == "boolean":
        return raw.lower() == "true"
    if type_str == "null":
        return None
    if type_str in ("array", "tuple", "object", "dict"):
        return ast.literal_eval(raw)
    return raw


def _xml_calls(text: str, verbose: bool) -> list[dict[str, Any]]:
    root = ET.fromstring(text)
    out = []
    for func in root.findall("function"):
        params: dict[str, Any] = {}
        if verbose:
            container = func.find("params")
            for param in container.findall("param") if container is not None else func.findall("param"):
                params[param.attrib.get("name")] = _convert(param.attrib.get("value", ""), param.attrib.get("type", "string"))  # type: ignore[index]
        else:
            for param in func.findall("param"):
                params[param.attrib["name"]] = _convert((param.text or "").strip(), param.attrib.get("type", "string"))
        out.append({func.attrib["name"]: params})
    return out


def _json_calls(text: str) -> list[dict[str, Any]]:
    match = re.search(r"\[\s*{.*?}\s*(?:,\s*{.*?}\s*)*\]", text, re.DOTALL)
    if match:
        text = match.group(0)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return []
    return [{call["function"]: call["parameters"]} for call in value if isinstance(call, dict)]


def decode(text: str, config: str) -> list[Any]:
    """Decode an answer as bfcl-eval does for ``config``; raises :class:`FormatParseError` where it fails."""
    ret, tag, *_ = parse_config(config)
    body = text.strip("`\n ")
    body = body if body.startswith("[") else "[" + body
    body = body if body.endswith("]") else body + "]"
    try:
        if tag:
            match = re.search(r"<TOOLCALL>(.*?)</TOOLCALL>", body, re.DOTALL)
            if not match:
                raise ValueError("No tool call tag found in input string")
            body = match.group(1).strip()
        if ret == "python":
            if not tag:
                return bfcl_decode_python(body)
            parsed = ast.parse(body.strip().strip("'"), mode="eval")
            if isinstance(parsed.body, ast.Call):
                return [_resolve_call(parsed.body)]
            elts = parsed.body.elts  # type: ignore[attr-defined]
            if not all(isinstance(e, ast.Call) for e in elts):
                raise ValueError("list element is not a call")
            return [_resolve_call(e) for e in elts]
        if ret == "json":
            match = re.search(r"\[.*\]", body, re.DOTALL)
            return _json_calls(match.group(0) if match else body)
        match = re.search(r"<functions>(.*?)</functions>", body, re.DOTALL)
        if not match:
            raise ValueError("No XML function call found. Missing <functions> tag.")
        return _xml_calls(match.group(0), verbose=ret == "verbose_xml")
    except FormatParseError:
        raise
    except Exception as exc:  # every decoder failure counts as ast_decoder:decoder_failed, as in BFCL
        raise FormatParseError(f"{type(exc).__name__}: {exc}") from exc


def spread(per_config: dict[str, float]) -> dict[str, float]:
    """bfcl-eval's spread across configs, in percentage points: max delta, standard deviation, variance."""
    values = list(per_config.values())
    if len(values) < 2:
        return {"max_delta": 0.0, "std": 0.0, "variance": 0.0}
    return {"max_delta": round((max(values) - min(values)) * 100, 2), "std": round(statistics.stdev(values) * 100, 2),
            "variance": round(statistics.variance(values) * 100**2, 2)}
