"""APIGen-MT multi-turn synthesis: the environments, blueprint checks (format -> execution -> semantic),
simulated dialogues and their checks (format -> grounding -> replay), the report, the CLI and the
bad-input paths; the pipeline/control-plane entry (SynthesisConfig mode=multi_turn)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from xlam.cli.main import app
from xlam.datasets import read_manifest, read_records
from xlam.envs import ENVIRONMENTS, Bank, Calendar, EnvConfigError, FileSystem, Retail, get_environment
from xlam.records import Category, Record, ToolCall
from xlam.synthesis.multi_turn import (
    MultiTurnConfig,
    check_trajectory,
    replay_issues,
    run_multi_turn_synthesis,
)
from xlam.synthesis.multi_turn.blueprint import ABSENT, Expect, Task, check_effects
from xlam.synthesis.multi_turn.blueprints import Blueprint, check_blueprint, sample_blueprint

runner = CliRunner()


# --- environments --------------------------------------------------------------------------------
def test_four_environments_with_harvested_typed_tools() -> None:
    assert set(ENVIRONMENTS) == {"filesystem", "retail", "calendar", "bank"}
    for cls in ENVIRONMENTS.values():
        tools = cls.tools()
        assert len(tools) >= 7, cls.name
        for tool in tools:
            assert tool.description and tool.parameters["type"] == "object"
            for name, prop in tool.properties.items():
                assert prop.get("type") or "enum" in prop, (tool.name, name)
                assert prop.get("description"), (tool.name, name)  # from the docstring's Args
    transfer = next(t for t in Bank.tools() if t.name == "transfer")
    assert transfer.required == ["from_account", "to_account", "amount"]
    assert transfer.properties["amount"]["exclusiveMinimum"] == 0 and transfer.properties["memo"]["default"] == ""
    freeze = next(t for t in Bank.tools() if t.name == "freeze_account")
    assert freeze.properties["reason"]["enum"] == ["lost card", "suspected fraud", "travel"]
    create = next(t for t in Calendar.tools() if t.name == "create_event")
    assert create.properties["start"]["pattern"] and create.properties["duration_minutes"]["maximum"] == 480


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_seeded_states_serialize_and_reload(name: str) -> None:
    cls = get_environment(name)
    state = cls.initial_state(7)
    assert state == cls.initial_state(7) and state != cls.initial_state(8)
    assert json.loads(json.dumps(state)) == state
    env = cls(state)
    assert env.state_dict() == state and env.state_hash() == cls(json.loads(json.dumps(state))).state_hash()
    long = cls.initial_state(7, long_context=True)
    assert len(json.dumps(long)) > 3 * len(json.dumps(state))


def test_refused_calls_leave_the_state_unchanged() -> None:
    state = Bank.initial_state(3)
    env = Bank(state)
    acc = sorted(state["accounts"])[0]
    before = env.state_hash()
    too_much = env.execute(ToolCall(name="withdraw", arguments={"account_number": acc,
                                                               "amount": state["accounts"][acc]["balance"] + 1}))
    assert not too_much.ok and too_much.error == "ToolError" and "insufficient funds" in too_much.message
    assert not env.execute(ToolCall(name="transfer", arguments={"from_account": acc, "to_account": "ACC-0000",
                                                                "amount": 1.0})).ok
    assert not env.execute(ToolCall(name="nope", arguments={})).ok
    assert not env.execute(ToolCall(name="get_balance", arguments={"wrong": 1})).ok
    assert env.state_hash() == before
    ok = env.execute(ToolCall(name="deposit", arguments={"account_number": acc, "amount": 10.0}))
    assert ok.ok and env.state_hash() != before
    fs = FileSystem(FileSystem.initial_state(1))
    home = next(d for d in fs.state.directories if d.count("/") == 2 and d.startswith("/home/"))
    assert fs.execute(ToolCall(name="write_file", arguments={"path": f"{home}/a.txt", "content": "x"})).ok
    assert not fs.execute(ToolCall(name="write_file", arguments={"path": "/nowhere/a.txt", "content": "x"})).ok
    assert fs.execute(ToolCall(name="read_file", arguments={"path": f"{home}/a.txt"})).value == "x"


def test_malformed_initial_state_names_the_field() -> None:
    with pytest.raises(EnvConfigError, match=r"bank: invalid initial state at accounts\.A-1\.kind"):
        Bank({"accounts": {"A-1": {"owner": "x", "kind": "gold"}}})
    with pytest.raises(ValueError, match="unknown environment 'airline'"):
        MultiTurnConfig(environments=["airline"])
    with pytest.raises(ValueError, match="invalid initial state at orders"):
        MultiTurnConfig(environment_configs={"retail": {"initial_state": {"orders": []}}})


# --- phase 1: blueprints -------------------------------------------------------------------------
def _blueprint(env: str, tasks: list[Task], state: dict[str, Any]) -> Blueprint:
    return Blueprint("bp-t", env, state, {}, tasks, [False] * len(tasks))


def test_blueprint_checks_format_execution_semantic() -> None:
    state = Bank.initial_state(5)
    a, b = sorted(state["accounts"])[:2]
    balance = state["accounts"][a]["balance"]
    good = Task("deposit", ["x"], {}, [[ToolCall(name="deposit", arguments={"account_number": a, "amount": 5.0})]],
                [Expect(("accounts", a, "balance"), round(balance + 5, 2)), Expect(("transactions",)),
                 Expect(("next_transaction",))])
    out = check_blueprint(_blueprint("bank", [good], state), Bank.tools())
    assert out.ok and out.passed == ["blueprint:format", "blueprint:execution", "blueprint:semantic"]
    bad_format = Task("t", ["x"], {}, [[ToolCall(name="deposit", arguments={"account_number": a, "amount": -5})]])
    out = check_blueprint(_blueprint("bank", [bad_format], state), Bank.tools())
    assert out.failed_stage == "blueprint:format" and out.reasons[0].startswith("invalid_value:deposit.amount")
    failing = Task("t", ["x"], {}, [[ToolCall(name="withdraw", arguments={"account_number": a, "amount": balance + 50})]])
    out = check_blueprint(_blueprint("bank", [good, failing], state), Bank.tools())
    assert out.failed_stage == "blueprint:execution" and "turn 2" in out.reasons[0] and "insufficient" in out.reasons[0]
    # the calls succeed but the state does not change as the goal says
    wrong_goal = Task("t", ["x"], {}, good.calls, [Expect(("accounts", b, "balance"), 1.0)])
    out = check_blueprint(_blueprint("bank", [wrong_goal], state), Bank.tools())
    assert out.failed_stage == "blueprint:semantic"
    assert any(r.startswith("unexpected_change:accounts/" + a) for r in out.reasons)
    read_only = Task("t", ["x"], {}, [[ToolCall(name="get_balance", arguments={"account_number": a})]], [])
    assert check_blueprint(_blueprint("bank", [read_only], state), Bank.tools()).ok


def test_check_effects() -> None:
    before = {"files": {"/a": "x", "/b": "y"}, "n": 1}
    after = {"files": {"/a": "x", "/c": "y"}, "n": 1}
    assert check_effects(before, after, [Expect(("files", "/b"), ABSENT), Expect(("files", "/c"), "y")]) == []
    assert check_effects(before, after, [Expect(("files", "/b"), ABSENT)]) == ["unexpected_change:files//c"]
    assert check_effects(before, before, [Expect(("n",))]) == ["missing_change:n"]


def test_sampled_blueprints_are_seeded() -> None:
    config = MultiTurnConfig()
    one = sample_blueprint("retail", random.Random(3), config, "x")
    two = sample_blueprint("retail", random.Random(3), config, "x")
    assert one.goal() == two.goal() and one.initial_state == two.initial_state


# --- phase 2 and the run -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("mt")
    report = run_multi_turn_synthesis(str(root / "out"), MultiTurnConfig(n=300, seed=1), rejects_uri=str(root / "rej"),
                                      report_dir=root / "report")
    return root, report


def test_run_produces_verified_multi_turn_records(run: tuple[Path, Any]) -> None:
    root, report = run
    records = list(read_records(str(root / "out")))
    assert len(records) == 300 == report.output_records
    assert {r.environment.name for r in records if r.environment} == set(ENVIRONMENTS)
    kinds = {k for r in records for k in r.provenance.extra["turn_kinds"]}
    assert {"base", "clarification", "irrelevance", "missing_function", "long_context", "closing"} <= kinds
    for record in records:
        assert record.category == Category.MULTI_TURN and record.schema_version == "1.1"
        assert record.provenance.checks == ["blueprint:format", "blueprint:execution", "blueprint:semantic",
                                            "trajectory:format", "trajectory:grounding", "trajectory:replay"]
        users = 1 + sum(1 for s in record.steps if s.user_input)
        assert users == record.provenance.extra["user_turns"] >= 2
        assert record.ground_truth is not None and len(record.ground_truth.turns or []) == users
        assert replay_issues(record) == []
        assert record.id == record.with_content_id().id
    assert len({r.query for r in records}) > 250  # varied openings
    manifest = read_manifest(str(root / "out"))
    assert manifest.schema_version == "1.1"


def test_report_funnel_and_histogram(run: tuple[Path, Any]) -> None:
    root, report = run
    funnel = report.groups["funnel"]
    assert funnel["sampled"] == report.input_records == report.output_records + report.rejected_records
    assert funnel["verified"] == 300
    for env in ENVIRONMENTS:
        row = report.groups[f"funnel:{env}"]
        assert row["passed blueprint:format"] >= row["passed blueprint:execution"] >= row["verified"] > 0
    rejected = list(read_records(str(root / "rej")))
    assert len(rejected) == report.rejected_records - funnel.get("failed sampling", 0) > 0
    assert sum(report.counts.values()) >= len(rejected)
    assert {r.meta["rejected_stage"] for r in rejected} >= {"blueprint:execution", "blueprint:semantic"}
    hist = report.groups["turns_per_dialogue"]
    assert sum(hist.values()) == 300
    for name in ("synthesize-mt.report.json", "synthesize-mt.report.md", "synthesize-mt.turns.png",
                 "synthesize-mt.counts.png", "synthesize-mt.funnel.png"):
        assert (root / "report" / name).stat().st_size > 0
    assert (root / "report" / "synthesize-mt.turns.png").read_bytes()[:4] == b"\x89PNG"


def test_same_seed_same_dialogues(tmp_path: Path) -> None:
    a = run_multi_turn_synthesis(str(tmp_path / "a"), MultiTurnConfig(n=20, seed=9))
    b = run_multi_turn_synthesis(str(tmp_path / "b"), MultiTurnConfig(n=20, seed=9))
    assert a.counts == b.counts
    assert [r.id for r in read_records(str(tmp_path / "a"))] == [r.id for r in read_records(str(tmp_path / "b"))]


def _first(run: tuple[Path, Any], predicate: Any) -> Record:
    return next(r for r in read_records(str(run[0] / "out")) if predicate(r))


def test_trajectory_checks_catch_corruptions(run: tuple[Path, Any]) -> None:
    record = _first(run, lambda r: r.environment.name == "bank" and any(
        c.name in ("deposit", "withdraw", "transfer") for c in r.all_calls()))
    assert check_trajectory(record).ok
    # a changed amount: not what the user said, and no longer what the environment returned
    changed = record.model_copy(deep=True)
    call = next(c for s in changed.steps for c in s.tool_calls if "amount" in c.arguments)
    call.arguments["amount"] = round(call.arguments["amount"] + 1.37, 2)
    out = check_trajectory(changed)
    assert out.failed_stage == "trajectory:grounding" and "unsupported_value" in out.reasons[0]
    # a dropped write: replay no longer reaches the recorded final state
    dropped = record.model_copy(deep=True)
    step = next(s for s in dropped.steps if any(c.name in ("deposit", "withdraw", "transfer") for c in s.tool_calls))
    dropped.steps.remove(step)
    assert any(i.startswith("final_state_mismatch") for i in replay_issues(dropped))
    # an observation that the environment does not reproduce
    faked = record.model_copy(deep=True)
    step = next(s for s in faked.steps if s.tool_calls)
    step.observations[0] = {"balance": 1e9}
    assert check_trajectory(faked).failed_stage == "trajectory:replay"
    # a withheld tool called before the turn that adds it
    late = _first(run, lambda r: any(s.tools_added for s in r.steps))
    name = next(n for s in late.steps for n in (s.tools_added or []))
    assert check_trajectory(late).ok
    moved = late.model_copy(deep=True)  # the tool now arrives only after the last step
    adder = next(i for i, s in enumerate(moved.steps) if s.tools_added)
    moved.steps[adder].tools_added = None
    moved.steps[-1].tools_added = [name]
    out = check_trajectory(moved)
    assert out.failed_stage == "trajectory:format" and out.reasons[0].startswith(f"unavailable_tool:{name}")


def test_simulated_user_deviation_is_rejected_by_grounding(tmp_path: Path) -> None:
    report = run_multi_turn_synthesis(str(tmp_path / "o"), MultiTurnConfig(n=40, seed=3, clarification_rate=1.0,
                                                                            user_deviation_rate=0.5),
                                      rejects_uri=str(tmp_path / "r"))
    grounding = {k: v for k, v in report.counts.items() if k.startswith("trajectory:grounding:unsupported_value:")}
    assert sum(grounding.values()) > 0  # e.g. trajectory:grounding:unsupported_value:transfer.amount
    for record in read_records(str(tmp_path / "o")):
        assert check_trajectory(record).ok


# --- the pipeline / control-plane entry ----------------------------------------------------------
def test_synthesis_config_mode_multi_turn(tmp_path: Path) -> None:
    from pipelines import steps_synthesis
    from xlam.synthesis import SynthesisConfig

    cfg = SynthesisConfig.model_validate({"n": 20, "seed": 2, "mode": "multi_turn",
                                          "multi_turn": {"environments": ["calendar", "filesystem"]}})
    assert cfg.multi_turn_config().n == 20 and cfg.multi_turn_config().seed == 2
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "source.txt").write_text("default")
    report = steps_synthesis.generate(str(tools), 1, 2, cfg.model_dump(mode="json"), str(tmp_path / "out"),
                                      str(tmp_path / "rej"))
    records = list(read_records(str(tmp_path / "out")))
    assert report.output_records == len(records) == 10  # this batch's share
    assert {r.environment.name for r in records if r.environment} <= {"calendar", "filesystem"}
    assert all(r.category == Category.MULTI_TURN for r in records)


# --- CLI and bad input ---------------------------------------------------------------------------
def test_cli_synthesize_mt_and_verify(tmp_path: Path) -> None:
    out = tmp_path / "mt"
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(out), "--n", "40", "--envs", "bank,retail",
                                 "--report", str(tmp_path / "rep"), "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert "| all |" in result.output and "wrote 40 verified dialogues" in result.output
    assert (tmp_path / "rep" / "synthesize-mt.turns.png").is_file()
    result = runner.invoke(app, ["data", "verify-mt", str(out)])
    assert result.exit_code == 0 and "40 multi-turn records replay" in result.output
    # a trajectory file with a broken turn: exit 2 naming file, line and step
    rows = [orjson.loads(r.model_dump_json(exclude_none=True)) for r in read_records(str(out))][:3]
    step = next(i for i, s in enumerate(rows[1]["steps"]) if s.get("tool_calls"))
    rows[1]["steps"][step]["observations"] = [{"forged": True}]
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    result = runner.invoke(app, ["data", "verify-mt", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}, line 2, field steps[{step}]" in result.output and "trajectory:replay" in result.output


def test_cli_bad_environment_config_writes_nothing(tmp_path: Path) -> None:
    cfg = tmp_path / "envs.json"
    cfg.write_text(json.dumps({"bank": {"initial_state": {"accounts": {"ACC-1": {"owner": "Ana", "kind": "gold"}}}}}))
    out = tmp_path / "mt"
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(out), "--n", "5", "--env-config", str(cfg)])
    assert result.exit_code == 2
    assert "invalid configuration" in result.output and "accounts.ACC-1.kind" in result.output
    assert not out.exists()
    cfg.write_text(json.dumps({"airline": {"weight": 1}}))
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(out), "--n", "5", "--env-config", str(cfg)])
    assert result.exit_code == 2 and "unknown environment 'airline'" in result.output and not out.exists()


def _given(state: dict[str, Any], a: str, b: str, amount: float) -> dict[str, Any]:
    return {"id": "bp-rent", "env": "bank", "initial_state": state, "turns": [
        {"request": f"What's the balance of {a}?", "calls": [{"name": "get_balance", "arguments": {"account_number": a}}],
         "expect": []},
        {"request": f"Send {amount:g} dollars from {a} to {b} for rent.",
         "calls": [[{"name": "transfer", "arguments": {"from_account": a, "to_account": b, "amount": amount,
                                                       "memo": "rent"}}]],
         "answer": "Sent.", "expect": [{"path": ["accounts", a, "balance"]}, {"path": ["accounts", b, "balance"]},
                                       {"path": ["transactions"]}, {"path": ["next_transaction"]}]}]}


def test_cli_given_blueprints(tmp_path: Path) -> None:
    state = Bank.initial_state(21)
    a, b = sorted(state["accounts"])[:2]
    good = tmp_path / "bp.jsonl"
    good.write_text(json.dumps(_given(state, a, b, 25.0)) + "\n")
    out = tmp_path / "mt"
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(out), "--blueprints", str(good),
                                 "--variants", "3"])
    assert result.exit_code == 0, result.output
    records = list(read_records(str(out)))
    assert len(records) == 3 and all(check_trajectory(r).ok for r in records)
    assert records[0].ground_truth.turns[1] == [f"transfer(from_account='{a}', to_account='{b}', amount=25.0, memo='rent')"]
    from xlam.synthesis.multi_turn import load_blueprints

    assert load_blueprints(good)[0].tasks[1].keep == [a, b, "25", "rent"]  # what an LLM rewrite must keep
    # a blueprint whose calls fail: exit 2 naming file, line and turn; nothing written
    bad = tmp_path / "bad.jsonl"
    too_much = state["accounts"][a]["balance"] + 100
    bad.write_text(json.dumps(_given(state, a, b, 25.0)) + "\n" + json.dumps(_given(state, a, b, too_much)) + "\n")
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(tmp_path / "x"), "--blueprints", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}, line 2, field turns[1]" in result.output and "insufficient funds" in result.output
    assert not (tmp_path / "x").exists()
    malformed = tmp_path / "malformed.jsonl"
    malformed.write_text(json.dumps({"env": "bank", "seed": 1, "turns": [{"request": "hi", "calls": [{"arguments": {}}]}]}))
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(tmp_path / "y"), "--blueprints", str(malformed)])
    assert result.exit_code == 2 and "line 1, field turns[0].calls[0]" in result.output


def test_retail_and_calendar_refusals() -> None:
    retail = Retail(Retail.initial_state(4))
    done = next(o for o, order in retail.state.orders.items() if order.status != "pending")
    out = retail.execute(ToolCall(name="cancel_order", arguments={"order_id": done, "reason": "no longer needed"}))
    assert not out.ok and "only pending orders" in out.message
    cal = Calendar(Calendar.initial_state(4))
    eid, ev = next((e, v) for e, v in sorted(cal.state.events.items()) if v.room)
    clash = cal.execute(ToolCall(name="create_event", arguments={"title": "x", "date": ev.date, "start": ev.start,
                                                                 "duration_minutes": 30, "room": ev.room}))
    assert not clash.ok and eid in clash.message


def test_control_plane_synthesis_run_kind(tmp_path: Path) -> None:
    """A control-plane synthesis run spec with mode=multi_turn: validated like any run, then run by the stage runner."""
    from platform_contracts.runspecs import SpecError, parse_spec, validate_spec
    from services.backends.stage_runner import MetricSink, run_synthesis_kind

    spec = parse_spec("synthesis", validate_spec("synthesis", {"output_name": "mt-data", "config": {
        "n": 15, "seed": 6, "mode": "multi_turn", "multi_turn": {"environments": ["retail"], "max_turns": 3}}}))
    result = run_synthesis_kind(spec, tmp_path, MetricSink(tmp_path / "metrics.jsonl"))
    uri = result.datasets[0].uri
    records = list(read_records(uri))
    assert len(records) == 15 and all(r.environment and r.environment.name == "retail" for r in records)
    assert (tmp_path / "reports" / "synthesis" / "synthesize-mt.turns.png").is_file()
    metrics = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert {"key": "synthesis.output_records", "step": 0, "value": 15.0} in metrics
    with pytest.raises(SpecError) as info:
        validate_spec("synthesis", {"output_name": "x", "config": {"mode": "multi_turn", "multi_turn": {"n": 3}}})
    assert info.value.errors[0]["field"] == "spec.config.multi_turn" and "synthesis config itself" in str(info.value.errors)


@pytest.mark.slow
def test_kfp_synthesis_pipeline_runs_multi_turn(tmp_path: Path) -> None:
    """The xlam-synthesis kfp pipeline (kfp's local SubprocessRunner) with synthesis_config mode=multi_turn."""
    from pipelines.runner import run_local

    root = tmp_path / "kfp"
    run_local("xlam-synthesis", {"tools": "default", "num_batches": 2, "synthesis_config": {
        "n": 16, "seed": 3, "mode": "multi_turn", "multi_turn": {"environments": ["bank", "filesystem"]}}},
        pipeline_root=root, enable_caching=False)
    generated = sorted(p for p in root.rglob("out") if "generate" in str(p.parent) and (p / "manifest.json").is_file())
    assert len(generated) == 2
    records = [r for p in generated for r in read_records(str(p))]
    assert len(records) == 16 and all(r.category == Category.MULTI_TURN and check_trajectory(r).ok for r in records)
    verified = [p for p in root.rglob("out") if "verify" in str(p.parent) and (p / "manifest.json").is_file()]
    assert sum(read_manifest(str(p)).num_records for p in verified) == 16  # every dialogue passes xlam.verify too
    funnel = next(root.rglob("funnel")).read_text()
    assert "| synthesize-mt |" in funnel
