"""The built-in rules (xLAM error taxonomy + APIGen format checker), in the order they run."""

from __future__ import annotations

import re
from typing import Any

import orjson
from rapidfuzz import fuzz, process

from xlam import formats
from xlam.records import Category, Record, Step
from xlam.verify.grounding import GroundingContext
from xlam.verify.rules import RuleContext, rule
from xlam.verify.schema import ParamInfo, in_enum, safe_cast, types_ok

CALL_REQUIRED = frozenset(
    {Category.SIMPLE, Category.MULTIPLE, Category.PARALLEL, Category.PARALLEL_MULTIPLE, Category.RELEVANCE}
)
NO_CALL = frozenset({Category.IRRELEVANCE, Category.CHAT})
_DANGLING = frozenset(
    {
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "with",
        "for",
        "in",
        "on",
        "but",
        "is",
        "are",
        "was",
        "were",
        "at",
        "by",
        "from",
        "that",
        "which",
        "because",
        "as",
        "their",
        "your",
        "my",
    }
)
_DANGLING_CHARS = (",", ":", ";", "(", "[", "{", "/", "&", "+", "=", "\\")
_LAST_WORD = re.compile(r"(\w+)\W*$")


@rule(
    "unparseable_output",
    "A raw model output (meta.raw_output) does not parse in its output format",
    fixes=True,
)
def unparseable_output(ctx: RuleContext) -> None:
    raw = ctx.record.meta.get("raw_output")
    if raw is None:
        return
    texts = raw if isinstance(raw, list) else [raw]
    fmt_name = ctx.config.output_format or ctx.record.meta.get("output_format")
    parsed: list[Step] = []
    for i, text in enumerate(texts):
        field = "meta.raw_output" + (f"[{i}]" if isinstance(raw, list) else "")
        if not isinstance(text, str):
            ctx.issue(f"raw output is {type(text).__name__}, not text", field)
            return
        try:
            if fmt_name:
                parsed.append(formats.get_format(str(fmt_name)).parse(text))
            else:
                parsed.append(Step(tool_calls=formats.decode_calls(text)))
        except (ValueError, KeyError) as exc:
            ctx.issue(f"does not parse{f' as {fmt_name}' if fmt_name else ''}: {exc}", field)
            return
    if not any(step.tool_calls or step.response for step in ctx.record.steps) and any(
        p.tool_calls or p.response for p in parsed
    ):
        fix = f"steps filled from {len(parsed)} parsed raw output(s)"
        if ctx.config.autofix:
            ctx.replace_steps([*[s for s in ctx.record.steps if s.user_input and not s.tool_calls], *parsed])
        ctx.issue(
            "record has no structured steps for its raw output",
            "steps",
            fix=fix if ctx.config.autofix else None,
        )


@rule("undefined_function", "A call names a function that is not among the record's tools")
def undefined_function(ctx: RuleContext) -> None:
    names = list(ctx.tools)
    for s, c, call in ctx.calls():
        if call.name not in ctx.tools:
            near = process.extractOne(call.name, names, scorer=fuzz.ratio) if names else None
            hint = f"; closest tool is {near[0]!r}" if near and near[1] >= 60 else ""
            ctx.issue(
                f"function {call.name!r} is not one of the {len(names)} available tools{hint}",
                ctx.call_path(s, c) + ".name",
            )


@rule("undefined_argument", "A call passes an argument the tool does not declare")
def undefined_argument(ctx: RuleContext) -> None:
    for chk in ctx.checks():
        assert chk.info is not None or not chk.unknown
        for name in chk.unknown:
            declared = sorted(chk.info.params) if chk.info is not None else []
            ctx.issue(
                f"{chk.call.name} has no parameter {name!r} (declared: {declared})",
                f"{ctx.call_path(chk.step, chk.index)}.arguments.{name}",
            )


@rule("missing_required_argument", "A call omits a required argument", fixes=True)
def missing_required_argument(ctx: RuleContext) -> None:
    for chk in ctx.checks():
        if not chk.missing or chk.info is None:
            continue
        s, c, call = chk.step, chk.index, chk.call
        for name in chk.missing:
            param = chk.info.params.get(name)
            field = f"{ctx.call_path(s, c)}.arguments.{name}"
            if ctx.config.autofix and param is not None and param.has_default:
                ctx.set_argument(s, c, name, param.default)
                ctx.issue(
                    f"required argument {name!r} missing",
                    field,
                    fix=f"filled the declared default {param.default!r}",
                )
            else:
                ctx.issue(f"required argument {name!r} of {call.name} is missing", field)


def _check_value(ctx: RuleContext, value: Any, types: tuple[str, ...], field: str) -> tuple[bool, Any]:
    """(changed, value) after checking ``value`` against ``types`` and safe-casting if allowed."""
    if not types or types_ok(value, types):
        return False, value
    if ctx.config.autofix:
        for t in types:
            ok, cast = safe_cast(value, t)
            if ok:
                ctx.issue(
                    f"expected {t}, got {type(value).__name__}",
                    field,
                    fix=f"cast {_short(value)} -> {_short(cast)}",
                )
                return True, cast
    ctx.issue(f"expected {' or '.join(types)}, got {type(value).__name__} {_short(value)}", field)
    return False, value


def _short(value: Any) -> str:
    text = orjson.dumps(value, default=repr).decode()
    return text if len(text) <= 60 else text[:57] + "..."


@rule("wrong_type", "An argument value does not have the declared type (safe casts are fixed)", fixes=True)
def wrong_type(ctx: RuleContext) -> None:
    for chk in ctx.checks():
        if not chk.mistyped or chk.info is None:
            continue
        s, c = chk.step, chk.index
        for name in chk.mistyped:
            param = chk.info.params[name]
            value = ctx.record.steps[s].tool_calls[c].arguments[name]
            if not types_ok(value, param.types):
                if (value is None and param.nullable) or param.documented(value):
                    continue
                field = f"{ctx.call_path(s, c)}.arguments.{name}"
                member = _enum_member(value, param)
                if member is not None:
                    expected = f"expected {' or '.join(param.types)}, got {type(value).__name__}"
                    if ctx.config.autofix:
                        ctx.set_argument(s, c, name, member)
                        ctx.issue(expected, field, fix=f"{_short(value)} -> enum value {_short(member)}")
                    else:
                        ctx.issue(f"{expected} {_short(value)}", field)
                    continue
                changed, value = _check_value(ctx, value, param.types, field)
                if changed:
                    ctx.set_argument(s, c, name, value)
            if param.item_types and type(value) is list:
                fixed: list[Any] | None = None
                for i, item in enumerate(value):
                    if types_ok(item, param.item_types):
                        continue
                    field = f"{ctx.call_path(s, c)}.arguments.{name}[{i}]"
                    item_changed, new_item = _check_value(ctx, item, param.item_types, field)
                    if item_changed:
                        fixed = fixed if fixed is not None else list(value)
                        fixed[i] = new_item
                if fixed is not None:
                    ctx.set_argument(s, c, name, fixed)


@rule("enum_violation", "An argument value is not one of the declared enum values", fixes=True)
def enum_violation(ctx: RuleContext) -> None:
    for chk in ctx.checks():
        if not chk.off_enum or chk.info is None:
            continue
        s, c = chk.step, chk.index
        for name in chk.off_enum:
            param = chk.info.params[name]
            assert param.enum is not None
            value = ctx.record.steps[s].tool_calls[c].arguments[name]
            field = f"{ctx.call_path(s, c)}.arguments.{name}"
            if isinstance(value, list) and "array" in param.types:
                # An enum on an array parameter lists the allowed items (common in real tool specs).
                for i, item in enumerate(value):
                    if not in_enum(item, param.enum) and not param.documented(item):
                        ctx.issue(f"item {_short(item)} is not one of {_short(param.enum)}", f"{field}[{i}]")
                continue
            if in_enum(value, param.enum) or (value is None and param.nullable) or param.documented(value):
                continue
            member = _enum_member(value, param) if ctx.config.autofix else None
            if member is not None:
                ctx.set_argument(s, c, name, member)
                ctx.issue(
                    f"{_short(value)} differs from enum value {_short(member)} in case",
                    field,
                    fix=f"{_short(value)} -> {_short(member)}",
                )
                continue
            ctx.issue(f"{_short(value)} is not one of {_short(param.enum)}", field)


def _enum_member(value: Any, param: ParamInfo) -> Any:
    """The one enum string equal to ``value`` ignoring case (``False`` -> ``"False"``), else None."""
    if param.enum is None or not isinstance(value, str | bool):
        return None
    text = str(value).strip().lower()
    matches = [e for e in param.enum if isinstance(e, str) and e.lower() == text]
    return matches[0] if len(matches) == 1 and matches[0] != value else None


@rule("constraint_violation", "An argument value breaks a JSON-Schema constraint (minimum, pattern, ...)")
def constraint_violation(ctx: RuleContext) -> None:
    for chk in ctx.checks():
        if not chk.constrained or chk.info is None:
            continue
        s, c = chk.step, chk.index
        for name in chk.constrained:
            param = chk.info.params[name]
            value = ctx.record.steps[s].tool_calls[c].arguments[name]
            if param.validator is None or (value is None and param.nullable) or param.documented(value):
                continue
            for error in param.validator.iter_errors(value):
                path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                ctx.issue(error.message[:300], f"{ctx.call_path(s, c)}.arguments.{name}{path}")
                break


@rule(
    "ungrounded_argument_value",
    "A string argument value appears nowhere in the query, user turns or earlier observations (fuzzy match)",
    severity="warning",
)
def ungrounded_argument_value(ctx: RuleContext) -> None:
    record = ctx.record
    context: GroundingContext | None = None
    context_step = -1
    threshold = ctx.config.grounding_threshold
    min_len = ctx.config.grounding_min_length
    for s, step in enumerate(record.steps):
        for c, call in enumerate(step.tool_calls):
            info = ctx.info(call.name)
            for name, value in call.arguments.items():
                if not isinstance(value, str | list | dict):
                    continue
                param = info.params.get(name) if info is not None else None
                for path, text in _strings(value, name):
                    if len(text) < min_len or (
                        param is not None and param.enum is not None and text in param.enum
                    ):
                        continue
                    if context is None or context_step != s:
                        context, context_step = _context_before(record, s), s
                    if not context.grounded(text, threshold) and not (
                        param is not None and param.documented(text)
                    ):
                        ctx.issue(
                            f"value {_short(text)} is not found in the query, user turns or earlier "
                            "observations",
                            f"{ctx.call_path(s, c)}.arguments.{path}",
                        )


def _context_before(record: Record, step: int) -> GroundingContext:
    """Text available before ``step``: instruction, query, and earlier observations/replies/user turns."""
    parts = [record.task_instruction, record.query]
    for earlier in record.steps[:step]:
        parts.extend(
            o if isinstance(o, str) else orjson.dumps(o, default=repr).decode() for o in earlier.observations
        )
        parts.extend((earlier.response, earlier.user_input))
    return GroundingContext(parts)


def _strings(value: Any, path: str, depth: int = 0) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if depth >= 3:
        return []
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _strings(v, f"{path}[{i}]", depth + 1)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _strings(v, f"{path}.{k}", depth + 1)]
    return []


@rule(
    "repeated_call",
    "The same call (name and arguments) appears twice in one step (legitimate for "
    "non-deterministic tools, so a warning by default)",
    severity="warning",
)
def repeated_call(ctx: RuleContext) -> None:
    for s, step in enumerate(ctx.record.steps):
        if len(step.tool_calls) < 2:
            continue
        seen: dict[tuple[str, str], int] = {}
        for c, call in enumerate(step.tool_calls):
            sig = call.signature()
            if sig in seen:
                ctx.issue(f"identical to tool_calls[{seen[sig]}] of the same step", ctx.call_path(s, c))
            else:
                seen[sig] = c


@rule(
    "repeated_step_call",
    "A step repeats the previous step's call with no new user input in between",
    severity="warning",
)
def repeated_step_call(ctx: RuleContext) -> None:
    steps = ctx.record.steps
    for s in range(1, len(steps)):
        if steps[s - 1].user_input or not steps[s - 1].tool_calls:
            continue
        previous = {call.signature() for call in steps[s - 1].tool_calls}
        for c, call in enumerate(steps[s].tool_calls):
            if call.signature() in previous:
                ctx.issue("repeats a call of the previous step", ctx.call_path(s, c))


def looks_truncated(text: str) -> bool:
    """Heuristics for text cut mid-sentence: dangling punctuation or function word, open brackets
    or code fences."""
    text = text.rstrip()
    if not text:
        return False
    if text.count("```") % 2 == 1:
        return True
    if text.endswith(_DANGLING_CHARS):
        return True
    if (
        text.count("(") > text.count(")")
        or text.count("[") > text.count("]")
        or text.count("{") > text.count("}")
    ):
        return True
    if text[-1].isalnum():
        match = _LAST_WORD.search(text)
        return bool(match and match.group(1).lower() in _DANGLING and len(text.split()) > 3)
    return False


@rule("empty_or_truncated", "An empty answer, step or required thought, or text cut mid-sentence")
def empty_or_truncated(ctx: RuleContext) -> None:
    record = ctx.record
    if record.answer is not None:
        if not record.answer.strip():
            ctx.issue("final answer is empty", "answer")
        elif looks_truncated(record.answer):
            ctx.issue(f"final answer looks cut off: ...{record.answer.rstrip()[-40:]!r}", "answer")
    for s, step in enumerate(record.steps):
        if step.tool_calls and ctx.config.require_thought and not step.thought.strip():
            ctx.issue("step with calls has no thought", f"steps[{s}].thought")
        if step.response and looks_truncated(step.response):
            ctx.issue(f"response looks cut off: ...{step.response.rstrip()[-40:]!r}", f"steps[{s}].response")
        if step.thought and looks_truncated(step.thought):
            ctx.issue(f"thought looks cut off: ...{step.thought.rstrip()[-40:]!r}", f"steps[{s}].thought")


@rule("empty_step", "A step with no thought, call, response or user input", severity="warning")
def empty_step(ctx: RuleContext) -> None:
    for s, step in enumerate(ctx.record.steps):
        if not (step.tool_calls or step.response.strip() or step.thought.strip() or step.user_input.strip()):
            ctx.issue("step is empty (no thought, call, response or user input)", f"steps[{s}]")


@rule("observation_count", "A step's observations do not match its calls one to one")
def observation_count(ctx: RuleContext) -> None:
    for s, step in enumerate(ctx.record.steps):
        if step.observations and len(step.observations) != len(step.tool_calls):
            ctx.issue(
                f"{len(step.observations)} observations for {len(step.tool_calls)} calls",
                f"steps[{s}].observations",
            )


@rule("irrelevant_call", "A record whose category says no tool fits (irrelevance, chat) makes a call")
def irrelevant_call(ctx: RuleContext) -> None:
    if ctx.record.category in NO_CALL:
        for s, c, _call in ctx.calls():
            ctx.issue(f"category {ctx.record.category} expects no call", ctx.call_path(s, c))


@rule("missing_call", "A record whose category requires a call answers without any call")
def missing_call(ctx: RuleContext) -> None:
    record = ctx.record
    has_output = any(step.tool_calls or step.response or step.thought for step in record.steps) or bool(
        record.answer
    )
    if record.category in CALL_REQUIRED and has_output and not any(step.tool_calls for step in record.steps):
        ctx.issue(f"category {record.category} requires a call but the output has none", "steps")
