"""Java and JavaScript argument converters, with BFCL's semantics.

BFCL asks models to pass Java/JS arguments as *strings* in the language's own syntax
(``"new ArrayList<>(Arrays.asList(1, 2))"``, ``"3.5f"``, ``"123n"``) and converts them before
type-checking. A string that does not match the expected literal syntax stays a string (and then
fails the type check). These functions reproduce ``bfcl_eval.eval_checker.ast_eval.type_convertor``
(v4) case for case, regular expressions included, because the verdicts must agree exactly.
"""

from __future__ import annotations

import re
from typing import Any

#: Java type name -> Python type after conversion (``bfcl_eval.constants.type_mappings``).
JAVA_TYPE_CONVERSION: dict[str, type] = {
    "byte": int,
    "short": int,
    "integer": int,
    "float": float,
    "double": float,
    "long": int,
    "boolean": bool,
    "char": str,
    "Array": list,
    "ArrayList": list,
    "Set": set,
    "HashMap": dict,
    "Hashtable": dict,
    "Queue": list,
    "Stack": list,
    "String": str,
    "any": str,
}
#: JavaScript type name -> Python type after conversion.
JS_TYPE_CONVERSION: dict[str, type] = {
    "String": str,
    "integer": int,
    "float": float,
    "Bigint": int,
    "Boolean": bool,
    "dict": dict,
    "array": list,
    "any": str,
}

_INT = re.compile(r"^-?\d+$")
_JAVA_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"^-?\d+[lL]$")


# --------------------------------------------------------------------------------------- Java
def java_type_converter(value: str, expected_type: str, nested_type: str | None = None) -> Any:
    """Convert a Java literal string to the Python value BFCL compares against."""
    if expected_type not in JAVA_TYPE_CONVERSION:
        raise ValueError(f"Unsupported type: {expected_type}")
    if expected_type in ("byte", "short", "integer"):
        return int(value) if _INT.match(value) else str(value)
    if expected_type == "float":
        return float(re.sub(r"[fF]$", "", value)) if _JAVA_FLOAT.match(value) else str(value)
    if expected_type == "double":
        return float(value) if _JAVA_DOUBLE.match(value) else str(value)
    if expected_type == "long":
        return int(re.sub(r"[lL]$", "", value)) if _JAVA_LONG.match(value) else str(value)
    if expected_type == "boolean":
        return value == "true" if value in ("true", "false") else str(value)
    if expected_type == "char":
        # BFCL's pattern r"^\'.$\'" can never match, so a char always stays the raw string.
        return str(value) if not re.match(r"^\'.$\'", value) else value
    if expected_type == "ArrayList":
        return _java_arraylist(value, nested_type)
    if expected_type == "Array":
        return _java_array(value, nested_type)
    if expected_type == "HashMap":
        return _java_hashmap(value)
    if expected_type in ("Set", "Hashtable", "Queue", "Stack"):
        raise NotImplementedError(f"{expected_type} conversion is not implemented")
    return str(value)  # String, any


def _java_element(text: str, nested_type: str | None) -> Any:
    if nested_type in ("char", "String"):
        return text[1:-1]  # strip the quotes
    return java_type_converter(text, nested_type) if nested_type else parse_java_value(text)


def _java_arraylist(text: str, nested_type: str | None) -> Any:
    as_list = re.search(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)", text)
    if as_list:
        return [_java_element(part.strip(), nested_type) for part in as_list.group(1).split(",")]
    adds = re.search(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", text, re.DOTALL)
    if adds:
        return [_java_element(m.strip(), nested_type) for m in re.findall(r"add\((.+?)\)", adds.group(1))]
    if re.search(r"new\s+ArrayList<\w*>\(\)", text):
        return []
    return text


def _java_array(text: str, nested_type: str | None) -> Any:
    match = re.search(r"new\s+\w+\[\]\s*\{(.*?)\}", text)
    if not match:
        return text
    parts = [x.strip() for x in match.group(1).split(",") if x.strip()]
    if nested_type:
        return [java_type_converter(x, nested_type) for x in parts]
    return [parse_java_value(x) for x in parts]


def _java_hashmap(text: str) -> Any:
    match = re.search(r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}", text, re.DOTALL)
    if match:
        puts = match.group(1)
        out: dict[str, Any] = {}
        if puts.strip():
            for key, raw in re.findall(r"put\(\"(.*?)\",\s*(.*?)\)", puts):
                out[key] = parse_java_value(raw.strip())
        return out
    if re.search(r"new\s+HashMap<.*?>\s*\(\)", text):
        return {}
    return text


def parse_java_value(text: str) -> Any:
    """A Java literal without type information (booleans, strings, longs, floats, numbers)."""
    if text == "true":
        return True
    if text == "false":
        return False
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(re.sub(r"[fF]$", "", text))
    return _number_or_text(text)


def _number_or_text(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


# --------------------------------------------------------------------------------- JavaScript
def js_type_converter(value: str, expected_type: str, nested_type: str | None = None) -> Any:
    """Convert a JavaScript literal string to the Python value BFCL compares against."""
    if expected_type not in JS_TYPE_CONVERSION:
        raise ValueError(f"Unsupported type: {expected_type}")
    if expected_type == "String":
        quoted = (value.startswith('"') and value.endswith('"')) or (value.startswith("'") and value.endswith("'"))
        return value[1:-1] if quoted else str(value)
    if expected_type == "integer":
        return int(value) if _INT.match(value) else str(value)
    if expected_type == "float":
        return float(value) if re.match(r"^-?\d+(\.\d+)?$", value) else str(value)
    if expected_type == "Bigint":
        return int(value[:-1]) if re.match(r"^-?\d+n$", value) else str(value)
    if expected_type == "Boolean":
        return value == "true" if value in ("true", "false") else str(value)
    if expected_type == "dict":
        return _js_dict(value.strip())
    if expected_type == "array":
        return _js_array(value.strip(), nested_type)
    return str(value)  # any


_JS_2D = re.compile(r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)")
_JS_1D = re.compile(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)")


def _js_array(code: str, nested_type: str | None) -> Any:
    try:
        two_d = _JS_2D.match(code)
        if two_d:
            rows = []
            for idx, inner in enumerate(re.findall(r"\[(.*?)\]", two_d.group(0))):
                inner = inner.strip()
                if idx == 0 and inner.startswith("["):
                    inner = inner[1:]
                rows.append([parse_js_value(e.strip()) for e in inner.split(",")])
            return rows
        one_d = _JS_1D.match(code)
        if not one_d:
            return code
        body = one_d.group(1) if one_d.group(1) is not None else one_d.group(2)
        body = (body or "").strip()
        elements = body.split(",") if body else []
        if nested_type:
            return [
                js_type_converter(e.strip(), nested_type, "String")
                if e.strip().startswith(("'", '"'))
                else js_type_converter(e.strip(), nested_type)
                for e in elements
            ]
        return [parse_js_value(e.strip()) for e in elements]
    except Exception:
        return code


def _js_dict(code: str) -> Any:
    if code == "{}":
        return {}
    match = re.match(r"\{(.*?)\}", code)
    if not match:
        return code
    try:
        out: dict[str, Any] = {}
        for key, raw in re.findall(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)", match.group(1)):
            key, raw = key.strip().strip("'\""), raw.strip()
            if raw.startswith("[") and raw.endswith("]"):
                out[key] = _js_array(raw, None)
            elif raw.startswith("{") and raw.endswith("}"):
                out[key] = _js_dict(raw)
            else:
                out[key] = parse_js_value(raw.strip("'\""))
        return out
    except Exception:
        return code


def parse_js_value(text: str) -> Any:
    """A JavaScript literal without type information."""
    text = text.strip()
    if text == "true":
        return True
    if text == "false":
        return False
    if (text.startswith('"') and text.endswith('"')) or (text.startswith("'") and text.endswith("'")):
        return text[1:-1]
    return _number_or_text(text)
