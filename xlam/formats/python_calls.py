"""The Python call-list format BFCL asks prompt-mode models for: ``[f(a=1, b='x'), g(c=[1, 2])]``.

:func:`bfcl_decode_python` reproduces ``bfcl_eval.model_handler.utils.default_decode_ast_prompting``
(Python return format) rule for rule: the text is stripped of backticks, newlines and spaces, wrapped
in ``[...]`` if needed and parsed with :mod:`ast`; each call becomes ``{dotted_name: {kwarg: value}}``.
Only keyword arguments are captured. Constants, lists, dicts, tuples and negative numbers are
evaluated, a bare name becomes its string, a call without keywords becomes its source text, a call
with keywords a nested ``{name: {...}}``, a subscript its source text; arithmetic (``BinOp``) is
evaluated - here by a safe evaluator rather than ``eval`` - and anything else (lambdas, sets,
f-strings, comprehensions) fails to decode, exactly as in BFCL.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import re
from typing import Any

from xlam.formats.base import FormatParseError, FormatRenderError, OutputFormat
from xlam.records import Step, ToolCall

_DOTTED_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

_BIN_OPS: dict[type[ast.operator], Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}


def _safe_arith(node: ast.AST) -> Any:
    """Evaluate constant arithmetic (what BFCL's ``eval(ast.unparse(binop))`` accepts in practice)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert, ast.Not)):
        operand = _safe_arith(node.operand)
        ops: dict[type[ast.unaryop], Any] = {
            ast.USub: operator.neg,
            ast.UAdd: operator.pos,
            ast.Invert: operator.invert,
            ast.Not: operator.not_,
        }
        return ops[type(node.op)](operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
        left, right = _safe_arith(node.left), _safe_arith(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(right, int) and abs(right) > 10_000:
            raise ValueError("exponent too large")
        return _BIN_OPS[type(node.op)](left, right)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_safe_arith(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    raise ValueError(f"cannot evaluate {type(node).__name__} in an arithmetic argument")


def _resolve_call(elem: ast.Call) -> dict[str, dict[Any, Any]]:
    parts: list[str] = []
    func: ast.expr = elem.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    name = ".".join(reversed(parts))
    return {name: {kw.arg: _resolve_value(kw.value) for kw in elem.keywords}}


def _resolve_value(value: ast.AST) -> Any:
    if isinstance(value, ast.Constant):
        return "..." if value.value is Ellipsis else value.value
    if isinstance(value, ast.UnaryOp):
        # BFCL: ``-value.operand.value`` whatever the operator; non-constant operands fail.
        if not isinstance(value.operand, ast.Constant):
            raise ValueError("unary operator on a non-constant")
        operand: Any = value.operand.value
        return -operand
    if isinstance(value, ast.List):
        return [_resolve_value(v) for v in value.elts]
    if isinstance(value, ast.Dict):
        keys = [k for k in value.keys if k is not None]
        if len(keys) != len(value.keys):
            raise ValueError("dict unpacking is not supported")
        return {_resolve_value(k): _resolve_value(v) for k, v in zip(keys, value.values, strict=True)}
    if isinstance(value, ast.BinOp):
        return _safe_arith(value)
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Call):
        return ast.unparse(value) if not value.keywords else _resolve_call(value)
    if isinstance(value, ast.Tuple):
        return tuple(_resolve_value(v) for v in value.elts)
    if isinstance(value, ast.Subscript):
        return ast.unparse(value.value) + "[" + ast.unparse(value.slice) + "]"
    raise ValueError(f"Unsupported AST type: {type(value)}")


def bfcl_decode_python(text: str) -> list[dict[str, dict[Any, Any]]]:
    """Decode a Python call list exactly as BFCL's prompt-mode AST decoder does.

    Raises :class:`FormatParseError` where BFCL's decoder raises.
    """
    result = text.strip("`\n ")
    if not result.startswith("["):
        result = "[" + result
    if not result.endswith("]"):
        result = result + "]"
    cleaned = result.strip().strip("'")
    try:
        parsed = ast.parse(cleaned, mode="eval")
        if isinstance(parsed.body, ast.Call):
            return [_resolve_call(parsed.body)]
        if not isinstance(parsed.body, (ast.List, ast.Tuple, ast.Set)):
            raise ValueError(f"expected a list of calls, got {type(parsed.body).__name__}")
        out = []
        for elem in parsed.body.elts:
            if not isinstance(elem, ast.Call):
                raise ValueError(f"list element is not a call: {ast.unparse(elem)[:80]}")
            out.append(_resolve_call(elem))
        return out
    except (SyntaxError, ValueError, TypeError, ArithmeticError, RecursionError, MemoryError) as exc:
        raise FormatParseError(f"python_calls: {exc}") from exc


def _render_value(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatRenderError(f"python_calls: cannot render non-finite float {value!r}")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render_value(k)}: {_render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render_value(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_render_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def render_python_call(call: ToolCall) -> str:
    """``name(k=v, ...)`` with Python literals; names must be dotted identifiers."""
    if not _DOTTED_NAME.match(call.name) or any(keyword.iskeyword(p) for p in call.name.split(".")):
        raise FormatRenderError(f"python_calls: tool name {call.name!r} is not a Python (dotted) identifier")
    for arg in call.arguments:
        if not (isinstance(arg, str) and arg.isidentifier() and not keyword.iskeyword(arg)):
            raise FormatRenderError(f"python_calls: argument name {arg!r} is not a Python identifier")
    args = ", ".join(f"{k}={_render_value(v)}" for k, v in call.arguments.items())
    return f"{call.name}({args})"


class PythonCallsFormat(OutputFormat):
    """BFCL prompt style: a Python list of keyword-argument calls; carries no thought. A step with
    no calls renders as its reply text (or ``[]``); text that is not a call list parses as a reply."""

    name = "python_calls"
    instruction = (
        "If you decide to invoke any of the function(s), you MUST put it in the format of "
        "[func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]. "
        "You SHOULD NOT include any other text in the response."
    )

    def render(self, step: Step) -> str:
        if not step.tool_calls:
            return step.response if step.response else "[]"
        return "[" + ", ".join(render_python_call(c) for c in step.tool_calls) + "]"

    def parse(self, text: str) -> Step:
        stripped = text.strip()
        try:
            decoded = bfcl_decode_python(stripped)
        except FormatParseError:
            if stripped.startswith("["):
                raise
            return Step(response=stripped)
        calls = []
        for item in decoded:
            ((name, args),) = item.items()
            if not name:
                raise FormatParseError("python_calls: a call has no function name")
            if any(not isinstance(k, str) for k in args):
                raise FormatParseError("python_calls: positional arguments are not supported")
            calls.append(ToolCall(name=name, arguments=args))
        return Step(tool_calls=calls)
