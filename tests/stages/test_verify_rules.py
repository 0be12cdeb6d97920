"""Verification rules on real BFCL records: zero false positives on clean ground truth, and each
rule catches its own injected fault class."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from xlam.records import Category, Record, Step, Tool, ToolCall
from xlam.verify import RULES, RuleContext, VerifyConfig, prepare_rules, rule, run_rules, verify_record

from .bfcl_records import KNOWN_BFCL_DATA_ERRORS, bfcl_records, clean_call_records

CONFIG = VerifyConfig()
N = 15  # records per injected fault


def test_clean_bfcl_ground_truth_has_no_false_positives() -> None:
    records = bfcl_records()
    assert len(records) > 3500
    rules = prepare_rules(CONFIG)
    rejected: dict[str, set[str]] = {}
    per_category: Counter[str] = Counter()
    for record in records:
        _, issues = run_rules(record, CONFIG, rules)
        errors = {i.code for i in issues if i.rejects}
        if errors:
            rejected[record.id] = errors
        per_category[record.meta["bfcl_category"]] += 1
    assert len(per_category) == 13  # every single-turn category was checked
    assert set(rejected) == set(KNOWN_BFCL_DATA_ERRORS)
    for record_id, code in KNOWN_BFCL_DATA_ERRORS.items():
        assert code in rejected[record_id]


def _first_param(
    record: Record, predicate: Callable[[dict[str, object]], bool]
) -> tuple[ToolCall, str] | None:
    for call in record.all_calls():
        tool = record.tool(call.name)
        assert tool is not None
        for name in call.arguments:
            spec = tool.properties.get(name, {})
            if predicate(spec):
                return call, name
    return None


def _copy(record: Record) -> Record:
    return record.model_copy(deep=True)


def inject_undefined_function(r: Record) -> Record | None:
    r = _copy(r)
    r.steps[-1].tool_calls[0].name = "totally_unknown_function"
    return r


def inject_undefined_argument(r: Record) -> Record | None:
    r = _copy(r)
    r.steps[-1].tool_calls[0].arguments["bogus_argument_xyz"] = 1
    return r


def inject_missing_required(r: Record) -> Record | None:
    r = _copy(r)
    for call in r.all_calls():
        tool = r.tool(call.name)
        assert tool is not None
        for name in tool.required:
            if name in call.arguments and "default" not in tool.properties.get(name, {}):
                del call.arguments[name]
                return r
    return None


def inject_wrong_type(r: Record) -> Record | None:
    r = _copy(r)
    found = _first_param(r, lambda s: s.get("type") in ("integer", "number") and "enum" not in s)
    if found is None:
        return None
    found[0].arguments[found[1]] = {"not": "a number"}
    return r


def inject_enum_violation(r: Record) -> Record | None:
    r = _copy(r)
    found = _first_param(r, lambda s: isinstance(s.get("enum"), list) and s.get("type") == "string")
    if found is None:
        return None
    found[0].arguments[found[1]] = "definitely-not-a-member"
    return r


def inject_constraint(r: Record) -> Record | None:
    r = _copy(r)
    found = _first_param(r, lambda s: s.get("type") == "string" and "enum" not in s)
    if found is None:
        return None
    call, name = found
    tool = r.tool(call.name)
    assert tool is not None
    tool.parameters["properties"][name]["maxLength"] = 2
    call.arguments[name] = "far longer than two characters"
    return r


def inject_ungrounded(r: Record) -> Record | None:
    r = _copy(r)
    found = _first_param(r, lambda s: s.get("type") == "string" and "enum" not in s and "default" not in s)
    if found is None:
        return None
    found[0].arguments[found[1]] = "Zqxvw Plorkington"
    return r


def inject_repeated_call(r: Record) -> Record | None:
    r = _copy(r)
    r.steps[-1].tool_calls.append(r.steps[-1].tool_calls[0].model_copy(deep=True))
    return r


def inject_repeated_step_call(r: Record) -> Record | None:
    r = _copy(r)
    r.steps.append(Step(tool_calls=[r.steps[-1].tool_calls[0].model_copy(deep=True)]))
    return r


def inject_truncated_answer(r: Record) -> Record | None:
    r = _copy(r)
    r.steps[-1].observations = [{"ok": True} for _ in r.steps[-1].tool_calls]
    r.answer = "I looked this up and the result for your request is the"
    return r


def inject_empty_step(r: Record) -> Record | None:
    r = _copy(r)
    r.steps.insert(0, Step())
    return r


def inject_observation_count(r: Record) -> Record | None:
    r = _copy(r)
    r.steps[-1].observations = [1] * (len(r.steps[-1].tool_calls) + 1)
    return r


def inject_irrelevant_call(r: Record) -> Record | None:
    r = _copy(r)
    r.category = Category.IRRELEVANCE
    return r


def inject_missing_call(r: Record) -> Record | None:
    r = _copy(r)
    r.steps = [Step(response="I cannot help with that.")]
    return r


def inject_unparseable(r: Record) -> Record | None:
    r = _copy(r)
    r.meta["raw_output"] = '[{"name": "broken", "arguments": {'
    r.meta["output_format"] = "json_list"
    return r


FAULTS: dict[str, tuple[Callable[[Record], Record | None], tuple[str, ...]]] = {
    "undefined_function": (inject_undefined_function, ("simple_python", "multiple", "live_simple")),
    "undefined_argument": (inject_undefined_argument, ("simple_python", "parallel", "live_multiple")),
    "missing_required_argument": (inject_missing_required, ("simple_python", "multiple", "live_simple")),
    "wrong_type": (inject_wrong_type, ("simple_python", "parallel_multiple", "live_multiple")),
    "enum_violation": (inject_enum_violation, ("simple_python", "live_multiple", "live_simple")),
    "constraint_violation": (inject_constraint, ("simple_python", "multiple")),
    "ungrounded_argument_value": (inject_ungrounded, ("simple_python", "multiple", "live_simple")),
    "repeated_call": (inject_repeated_call, ("simple_python", "parallel")),
    "repeated_step_call": (inject_repeated_step_call, ("simple_python", "multiple")),
    "empty_or_truncated": (inject_truncated_answer, ("simple_python", "live_simple")),
    "empty_step": (inject_empty_step, ("simple_python",)),
    "observation_count": (inject_observation_count, ("simple_python", "parallel")),
    "irrelevant_call": (inject_irrelevant_call, ("simple_python", "live_simple")),
    "missing_call": (inject_missing_call, ("simple_python", "multiple", "live_parallel")),
    "unparseable_output": (inject_unparseable, ("simple_python",)),
}


def test_every_builtin_rule_has_a_fault_test() -> None:
    assert set(RULES) >= set(FAULTS)
    builtin = {code for code, r in RULES.items() if r.check.__module__ == "xlam.verify.builtin_rules"}
    assert builtin == set(FAULTS)


@pytest.mark.parametrize("code", sorted(FAULTS))
def test_each_rule_catches_its_injected_fault(code: str) -> None:
    inject, categories = FAULTS[code]
    rules = prepare_rules(CONFIG)
    tried = 0
    for category in categories:
        for clean in clean_call_records(category, 60):
            faulty = inject(clean)
            if faulty is None:
                continue
            tried += 1
            _fixed, issues = run_rules(faulty, CONFIG, rules)
            codes = {i.code for i in issues if not i.fixed}
            assert code in codes, (clean.id, [i.describe() for i in issues])
            if RULES[code].severity == "error":
                assert any(i.rejects and i.code == code for i in issues)
            # The clean original raises nothing of this class.
            _, before = run_rules(clean, CONFIG, rules)
            assert code not in {i.code for i in before}, clean.id
            if tried >= N:
                return
    assert tried >= 3, f"too few records to inject {code}"


def _typed_record(arguments: dict[str, object]) -> Record:
    tool = Tool(
        name="book",
        parameters={
            "type": "object",
            "properties": {
                "rooms": {"type": "integer"},
                "price": {"type": "number"},
                "smoking": {"type": "boolean"},
                "guests": {"type": "array", "items": {"type": "string"}},
                "prefs": {"type": "object"},
                "zip": {"type": "string"},
                "tier": {"type": "string", "enum": ["Gold", "Silver"]},
                "nights": {"type": "integer", "default": 1},
            },
            "required": ["rooms", "nights"],
        },
    )
    return Record(
        id="typed",
        tools=[tool],
        query="Book 5 rooms for Ann and Bo at 3.5 for zip 94103, gold tier",
        steps=[Step(tool_calls=[ToolCall(name="book", arguments=arguments)])],
        category=Category.SIMPLE,
    )


def test_autofixes_are_lossless_and_recorded() -> None:
    record = _typed_record(
        {
            "rooms": "5",
            "price": "3.5",
            "smoking": "true",
            "guests": '["Ann", "Bo"]',
            "prefs": '{"view": "sea"}',
            "zip": 94103,
            "tier": "gold",
        }
    )
    verdict = verify_record(record, VerifyConfig(stages=["rules"]))
    assert verdict.ok, [i.describe() for i in verdict.issues]
    fixed_args = verdict.record.steps[0].tool_calls[0].arguments
    assert fixed_args == {
        "rooms": 5,
        "price": 3.5,
        "smoking": True,
        "guests": ["Ann", "Bo"],
        "prefs": {"view": "sea"},
        "zip": "94103",
        "tier": "Gold",
        "nights": 1,
    }
    fixes = {i.field.rsplit(".", 1)[-1]: i for i in verdict.fixes}
    assert set(fixes) == {"rooms", "price", "smoking", "guests", "prefs", "zip", "tier", "nights"}
    assert fixes["rooms"].code == "wrong_type" and fixes["rooms"].fix == 'cast "5" -> 5'
    assert fixes["tier"].code == "enum_violation" and fixes["nights"].code == "missing_required_argument"
    # The input record is untouched; without autofix the same record is rejected.
    assert record.steps[0].tool_calls[0].arguments["rooms"] == "5"
    strict = verify_record(record, VerifyConfig(stages=["rules"], autofix=False))
    assert not strict.ok and {"wrong_type", "enum_violation", "missing_required_argument"} <= {
        i.code for i in strict.errors
    }
    # int accepted for number; unsafe casts are not made.
    ok = verify_record(_typed_record({"rooms": 2, "price": 3, "nights": 1}), VerifyConfig(stages=["rules"]))
    assert ok.ok and not ok.issues
    bad = verify_record(_typed_record({"rooms": "five", "nights": 1}), VerifyConfig(stages=["rules"]))
    assert not bad.ok and bad.errors[0].code == "wrong_type"


def test_severity_overrides_and_custom_rules() -> None:
    record = _typed_record({"rooms": 5, "nights": 1, "zip": "Zqxvw Plorkington"})
    assert verify_record(record, VerifyConfig(stages=["rules"])).ok  # ungrounded is a warning
    strict = verify_record(record, VerifyConfig(stages=["rules"], reject_ungrounded=True))
    assert not strict.ok and strict.errors[0].code == "ungrounded_argument_value"
    off = verify_record(record, VerifyConfig(stages=["rules"], severity={"ungrounded_argument_value": "off"}))
    assert not off.issues

    @rule("max_three_rooms", "At most three rooms per booking", replace=True)
    def _max_three(ctx: RuleContext) -> None:
        for s, c, call in ctx.calls():
            if (
                call.name == "book"
                and isinstance(call.arguments.get("rooms"), int)
                and call.arguments["rooms"] > 3
            ):
                ctx.issue("more than three rooms", ctx.call_path(s, c) + ".arguments.rooms")

    try:
        verdict = verify_record(record, VerifyConfig(stages=["rules"], rules=["max_three_rooms"]))
        assert [i.code for i in verdict.issues] == ["max_three_rooms"] and not verdict.ok
        with pytest.raises(ValueError, match="unknown rule"):
            prepare_rules(VerifyConfig(rules=["no_such_rule"]))
    finally:
        RULES.pop("max_three_rooms", None)


def test_raw_output_parsed_into_steps() -> None:
    record = _typed_record({})
    record = record.model_copy(
        update={
            "steps": [],
            "meta": {"raw_output": "[book(rooms=5, nights=2)]", "output_format": "python_calls"},
        }
    )
    verdict = verify_record(record, VerifyConfig(stages=["rules"]))
    assert verdict.ok, [i.describe() for i in verdict.issues]
    assert verdict.record.steps[0].tool_calls[0].arguments == {"rooms": 5, "nights": 2}
    assert verdict.fixes[0].code == "unparseable_output"
