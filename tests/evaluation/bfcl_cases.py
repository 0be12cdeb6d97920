"""Answers for the checker agreement test: the gold answer of every BFCL entry and systematic
corruptions of it (what a model gets wrong), in BFCL's decoded shape ``[{name: {param: value}}]``."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

Calls = list[dict[str, dict[str, Any]]]


def first_allowed(allowed: list[Any]) -> tuple[bool, Any]:
    for value in allowed:
        if value != "":
            return True, value
    return False, None


# ------------------------------------------------------------------ Java / JavaScript literals
def java_literal(value: Any, type_name: str, items: str | None) -> str:
    if isinstance(value, str):
        return value  # strings and variable names are passed as they are
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "long":
        return f"{value}L"
    if type_name == "float":
        return f"{value}f"
    if type_name in ("Array", "ArrayList"):
        inner = [str(v) if type_name == "Array" and items == "String" else java_element(v, items) for v in value]
        if type_name == "Array":
            return f"new {items or 'Object'}[]{{{', '.join(inner)}}}"
        return f"new ArrayList<>(Arrays.asList({', '.join(inner)}))"
    if type_name == "HashMap":
        puts = " ".join(f'put("{k}", {java_element(v, None)});' for k, v in value.items())
        return f"new HashMap<String, Object>() {{{{ {puts} }}}}"
    return str(value) if not isinstance(value, bool) else ("true" if value else "false")


def java_element(value: Any, items: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if items == "long":
        return f"{value}L"
    if items == "float":
        return f"{value}f"
    return str(value)


def js_literal(value: Any, type_name: str) -> str:
    if isinstance(value, str):
        return value
    if type_name == "Boolean":
        return "true" if value else "false"
    if type_name == "Bigint":
        return f"{value}n"
    if type_name in ("array", "dict"):
        return json.dumps(value)
    return str(value)


def _resolve(value: Any) -> Any:
    """A dict possible answer maps each key to its allowed values: take the first of each."""
    if isinstance(value, dict):
        out = {}
        for key, allowed in value.items():
            present, first = first_allowed(allowed) if isinstance(allowed, list) else (True, allowed)
            if present:
                out[key] = _resolve(first)
        return out
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def gold_value(value: Any, details: dict[str, Any], language: str) -> Any:
    value = _resolve(value)
    if language == "python":
        return copy.deepcopy(value)
    items = (details.get("items") or {}).get("type")
    if language == "java":
        return java_literal(value, details["type"], items)
    return js_literal(value, details["type"])


def gold_calls(entry: dict[str, Any], answer: list[Any], language: str) -> Calls:
    docs = {d["name"]: d for d in entry["function"]}
    out: Calls = []
    for expected in answer:
        ((name, params),) = expected.items()
        props = docs[name]["parameters"]["properties"] if name in docs else {}
        args: dict[str, Any] = {}
        for param, allowed in params.items():
            present, value = first_allowed(allowed)
            if present:
                args[param] = gold_value(value, props.get(param, {"type": "string"}), language)
        out.append({name: args})
    return out


# ------------------------------------------------------------------------------ corruptions
def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value)
    if isinstance(value, str):
        return 12345
    if isinstance(value, (list, tuple)):
        return "not a list"
    if isinstance(value, dict):
        return [value]
    return "x"


def _wrong_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "zzz"
    if isinstance(value, list):
        return [*value, value[0]] if value else ["extra"]
    if isinstance(value, dict):
        if not value:
            return {"extra_key": 1}
        key = next(iter(value))
        return {**value, key: _wrong_value(value[key])}
    return value


def _normalisation_variants(value: str) -> list[str]:
    return [value.upper(), value.replace(" ", "  ,"), value.replace('"', "'"), f" {value}. ", value.replace("-", "_")]


def _list_variants(value: list[Any]) -> list[Any]:
    out: list[Any] = [list(reversed(value)), tuple(value), [_wrong_type(v) for v in value], value[:-1]]
    out.append([v.upper() if isinstance(v, str) else v for v in value])
    out.append([float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value])
    return out


def corruptions(entry: dict[str, Any], answer: list[Any], gold: Calls) -> Iterator[tuple[str, Any]]:
    """(label, decoded output) pairs derived from the gold calls."""
    docs = {d["name"]: d for d in entry["function"]}
    yield "gold", gold
    yield "empty", []
    yield "not_format", ["just text"]
    yield "dict_not_list", {"x": {}}
    if len(gold) > 1:
        yield "reversed_calls", list(reversed(copy.deepcopy(gold)))
        yield "rotated_calls", copy.deepcopy(gold[1:] + gold[:1])
        yield "dropped_call", copy.deepcopy(gold[:-1])
    yield "duplicated_call", copy.deepcopy(gold + gold[:1])
    for ci, call in enumerate(gold):
        ((name, args),) = call.items()
        expected = answer[ci][name]
        doc = docs.get(name, {"parameters": {"properties": {}, "required": []}})
        props, required = doc["parameters"]["properties"], doc["parameters"].get("required", [])

        def variant(
            new_name: str = name, new_args: dict[str, Any] | None = None, _ci: int = ci, _args: dict[str, Any] = args
        ) -> Calls:
            out = copy.deepcopy(gold)
            out[_ci] = {new_name: copy.deepcopy(_args if new_args is None else new_args)}
            return out

        yield f"c{ci}:wrong_name", variant(name + "_v2")
        yield f"c{ci}:underscore_name", variant(name.replace(".", "_"))
        yield f"c{ci}:extra_param", variant(new_args={**args, "unexpected_param_xyz": 1})
        for pname in props:
            if pname not in expected:
                yield f"c{ci}:undeclared_optional:{pname}", variant(new_args={**args, pname: "value"})
                break
        for pname, allowed in expected.items():
            if pname not in args:
                continue
            value = args[pname]
            dropped = {k: v for k, v in args.items() if k != pname}
            kind = "required" if pname in required else ("optional_allowed" if "" in allowed else "optional_needed")
            yield f"c{ci}:drop_{kind}:{pname}", variant(new_args=dropped)
            yield f"c{ci}:wrong_type:{pname}", variant(new_args={**args, pname: _wrong_type(value)})
            yield f"c{ci}:wrong_value:{pname}", variant(new_args={**args, pname: _wrong_value(value)})
            yield f"c{ci}:none:{pname}", variant(new_args={**args, pname: None})
            for k, alt in enumerate(a for a in allowed[1:] if a != ""):
                if k < 3:
                    yield f"c{ci}:alt{k}:{pname}", variant(new_args={**args, pname: copy.deepcopy(alt)})
            if isinstance(value, bool):
                yield f"c{ci}:bool_as_int:{pname}", variant(new_args={**args, pname: int(value)})
            elif isinstance(value, int):
                yield f"c{ci}:int_as_float:{pname}", variant(new_args={**args, pname: float(value)})
                yield f"c{ci}:int_as_bool:{pname}", variant(new_args={**args, pname: True})
            elif isinstance(value, float):
                if value.is_integer():
                    yield f"c{ci}:float_as_int:{pname}", variant(new_args={**args, pname: int(value)})
                yield f"c{ci}:float_rounded:{pname}", variant(new_args={**args, pname: round(value, 1) + 0.05})
            elif isinstance(value, str):
                for k, text in enumerate(_normalisation_variants(value)):
                    yield f"c{ci}:string_norm{k}:{pname}", variant(new_args={**args, pname: text})
            elif isinstance(value, list):
                for k, alt in enumerate(_list_variants(value)):
                    yield f"c{ci}:list{k}:{pname}", variant(new_args={**args, pname: alt})
            elif isinstance(value, dict) and value:
                key = next(iter(value))
                yield f"c{ci}:dict_drop_key:{pname}", variant(new_args={**args, pname: {k: v for k, v in value.items() if k != key}})
                yield f"c{ci}:dict_extra_key:{pname}", variant(new_args={**args, pname: {**value, "zz_extra": 1}})
                if isinstance(value[key], str):
                    yield f"c{ci}:dict_norm:{pname}", variant(new_args={**args, pname: {**value, key: value[key].upper() + " ."}})
