"""Mixed multi-turn dialogues (``MultiTurnConfig.mixed_rate``): two environments at once, the union of
their tools, interleaved goal turns and a turn that carries a value from one environment into the
other; the checks (semantic per component, carried value, replay against all components), the record
(schema 1.2 ``environment.components``), the report per environment pair, the CLI and training."""

from __future__ import annotations

import hashlib
import itertools
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from xlam.cli.main import app
from xlam.datasets import read_records
from xlam.envs import Bank, EnvConfigError, FileSystem, MixedEnvironment, open_environment
from xlam.records import EnvironmentSnapshot, Record, ToolCall
from xlam.records.conversation import observation_text
from xlam.synthesis.multi_turn import (
    MultiTurnConfig,
    check_trajectory,
    replay_issues,
    run_multi_turn_synthesis,
)
from xlam.synthesis.multi_turn.blueprints import Blueprint, check_blueprint
from xlam.synthesis.multi_turn.mixed import sample_mixed_blueprint

runner = CliRunner()


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("mtmix")
    report = run_multi_turn_synthesis(str(root / "out"), MultiTurnConfig(n=160, seed=3, mixed_rate=0.6),
                                      rejects_uri=str(root / "rej"), report_dir=root / "report")
    return root, report


def _mixed(records: list[Record]) -> list[Record]:
    return [r for r in records if r.environment is not None and r.environment.components]


def test_mixed_rate_zero_leaves_the_output_unchanged(tmp_path: Path) -> None:
    """Byte-identical to the output of the code before mixed dialogues existed (commit 6ffc38b)."""
    run_multi_turn_synthesis(str(tmp_path / "out"), MultiTurnConfig(n=60, seed=7), rejects_uri=str(tmp_path / "rej"))
    digest = {name: hashlib.sha256((tmp_path / name / "part-00000.jsonl").read_bytes()).hexdigest()
              for name in ("out", "rej")}
    assert digest == {"out": "0c88bb1d629e428a7a1673a553ba82a5955f095b9163a7b4b56cdb04ea9d127e",
                      "rej": "426dc23aa742c5b1a1c5009a033288f866f5044b852afb1f407d0d5fec449b0d"}


def test_mixed_same_seed_same_dialogues(tmp_path: Path) -> None:
    def run(name: str) -> bytes:
        run_multi_turn_synthesis(str(tmp_path / name), MultiTurnConfig(n=40, seed=5, mixed_rate=0.5))
        return (tmp_path / name / "part-00000.jsonl").read_bytes()

    first = run("a")
    assert first == run("b")
    assert b'"components"' in first


def test_mixed_records_use_both_environments(mixed_run: tuple[Path, Any]) -> None:
    root, report = mixed_run
    records = list(read_records(str(root / "out")))
    mixed = _mixed(records)
    assert len(records) == 160 and 60 <= len(mixed) < 160
    assert {r.environment.name for r in mixed if r.environment} >= {"bank+filesystem", "calendar+retail",
                                                                     "bank+retail", "calendar+filesystem"}
    bridged = 0
    for record in mixed:
        env = record.environment
        assert env is not None and env.components is not None
        assert record.schema_version == "1.2" and env.name == "+".join(env.components)
        assert sorted(env.initial_state) == sorted(env.components)
        names = [t.name for t in record.tools]
        assert len(names) == len(set(names)) and set(names) == set(open_environment(env.name).tool_names())
        assert replay_issues(record) == []
        turn_envs = record.provenance.extra["turn_environments"]
        touched = {c for e in turn_envs for c in e.split(">")}
        assert touched == set(env.components), turn_envs  # both environments have goal turns
        if record.provenance.extra["cross_environment_turns"]:
            bridged += 1
            # the carried value: returned by a call into one environment, then an argument of a call into the other
            steps = [s for s in record.steps if s.tool_calls]
            carried = [str(v) for a, b in itertools.pairwise(steps) for v in b.tool_calls[0].arguments.values()
                       if isinstance(v, float | str) and a.tool_calls[0].name != b.tool_calls[0].name
                       and str(v) in observation_text(a.observations[0])]
            assert carried, record.provenance.extra["tasks"]
    assert bridged >= 0.9 * len(mixed)
    kinds = {k for r in mixed for k in r.provenance.extra["turn_kinds"]}
    assert {"clarification", "irrelevance", "missing_function", "closing"} <= kinds
    assert all(r.schema_version == "1.1" and r.environment and not r.environment.components
               for r in records if r not in mixed)
    # the report: funnel per environment pair, and the mixed summary
    pairs = [k for k in report.groups if k.startswith("funnel:") and "+" in k]
    assert len(pairs) == 6
    assert report.groups["mixed"]["dialogues"] == len(mixed)
    assert "| bank+filesystem |" in report.notes[1]
    rejects = [r for r in read_records(str(root / "rej")) if r.environment and r.environment.components]
    assert rejects and all(r.schema_version == "1.2" for r in rejects)


def _bridged_blueprint() -> tuple[Blueprint, int]:
    """A mixed blueprint (bank+filesystem) that passes its checks and has a transfer carrying a file's text."""
    config = MultiTurnConfig(clarification_rate=0, irrelevance_rate=0, missing_function_rate=0, long_context_rate=0)
    for seed in range(200):
        bp = sample_mixed_blueprint(["bank", "filesystem"], random.Random(seed), config, f"bp-{seed}")
        turn = next((k for k, t in enumerate(bp.tasks) if t.carries and t.calls[1][0].name == "transfer"), None)
        if turn is not None and check_blueprint(bp, MixedEnvironment([Bank, FileSystem]).tools()).ok:
            return bp, turn
    raise AssertionError("no bridged blueprint")


def test_wrong_cross_environment_value_fails_the_semantic_check() -> None:
    bp, turn = _bridged_blueprint()
    tools = MixedEnvironment([Bank, FileSystem]).tools()
    call = bp.tasks[turn].calls[1][0]
    bp.tasks[turn].calls[1][0] = ToolCall(name=call.name, arguments={**call.arguments, "memo": "Wrong memo."})
    outcome = check_blueprint(bp, tools)
    assert outcome.failed_stage == "blueprint:semantic"
    reason = outcome.reasons[0]
    assert reason.startswith("wrong_carried_value:transfer.memo") and reason.endswith(f"@turn{turn + 1}")
    assert "read by read_file" in reason and "'Wrong memo.'" in reason
    # the state check names the component: the bank's transaction log is not what the turn says
    assert f"wrong_value:bank/transactions@turn{turn + 1}" in outcome.reasons


def test_corrupted_mixed_trajectory_is_rejected_by_replay(mixed_run: tuple[Path, Any]) -> None:
    root, _ = mixed_run
    record = next(r for r in _mixed(list(read_records(str(root / "out")))) if r.provenance.extra["cross_environment_turns"])
    assert check_trajectory(record).ok
    # a call into the second environment dropped: that component's final state differs
    data = record.model_dump(mode="json")
    last = max(i for i, s in enumerate(data["steps"]) if s.get("tool_calls"))
    data["steps"][last]["tool_calls"], data["steps"][last]["observations"] = [], []
    data["steps"][last]["response"] = data["steps"][last].get("response") or "Done."
    dropped = Record.model_validate(data)
    assert "final_state_mismatch" in replay_issues(dropped)
    assert check_trajectory(dropped).failed_stage == "trajectory:replay"
    # a forged initial state of one component: the recorded observations no longer replay
    data = record.model_dump(mode="json")
    env = data["environment"]
    component = env["components"][0]
    env["initial_state"][component] = open_environment(component, None).state_dict()
    forged = Record.model_validate(data)
    issues = replay_issues(forged)
    assert issues and any(i.startswith(("call_failed:", "observation_mismatch:", "final_state_mismatch")) for i in issues)


def test_tool_names_that_clash_are_namespaced() -> None:
    class Ledger(Bank):
        name = "ledger"

    mixed = MixedEnvironment([Bank, Ledger], {"bank": Bank.initial_state(1), "ledger": Bank.initial_state(2)})
    names = [t.name for t in mixed.tools()]
    assert len(names) == len(set(names)) and "bank_get_balance" in names and "ledger_get_balance" in names
    account = sorted(Bank.initial_state(2)["accounts"])[0]
    assert mixed.execute(ToolCall(name="ledger_get_balance", arguments={"account_number": account})).ok
    assert not mixed.execute(ToolCall(name="bank_get_balance", arguments={"account_number": account})).ok
    assert mixed.execute(ToolCall(name="get_balance", arguments={"account_number": account})).error == "undefined_function"
    with pytest.raises(EnvConfigError, match="not a component"):
        MixedEnvironment([Bank, FileSystem], {"retail": {}})


def test_snapshot_components_must_match_the_name() -> None:
    EnvironmentSnapshot(name="bank+filesystem", components=["bank", "filesystem"], initial_state={"bank": {}})
    with pytest.raises(ValueError, match="joined"):
        EnvironmentSnapshot(name="bank+retail", components=["bank", "filesystem"])
    with pytest.raises(ValueError, match="not a component"):
        EnvironmentSnapshot(name="bank+filesystem", components=["bank", "filesystem"], initial_state={"retail": {}})


def test_cli_mixed_rate(tmp_path: Path) -> None:
    out = tmp_path / "mt"
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(out), "--n", "30", "--mixed-rate", "0.5",
                                 "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "wrote 30 verified dialogues" in result.output and "+" in result.output
    assert _mixed(list(read_records(str(out))))
    result = runner.invoke(app, ["data", "verify-mt", str(out)])
    assert result.exit_code == 0 and "30 multi-turn records replay" in result.output
    rows = [orjson.loads(r.model_dump_json(exclude_none=True)) for r in read_records(str(out))]
    assert all(r["schema_version"] == ("1.2" if r["environment"].get("components") else "1.1") for r in rows)


def test_three_environments_per_dialogue(tmp_path: Path) -> None:
    run_multi_turn_synthesis(str(tmp_path / "out"), MultiTurnConfig(n=15, seed=9, mixed_rate=1.0, mixed_size=3,
                                                                     min_turns=3, max_turns=5))
    records = list(read_records(str(tmp_path / "out")))
    assert len(records) == 15
    for record in records:
        assert record.environment is not None and len(record.environment.components or []) == 3
        assert replay_issues(record) == [] and check_trajectory(record).ok


def test_given_blueprint_over_two_environments(tmp_path: Path) -> None:
    import json

    bank, files = Bank.initial_state(21), FileSystem.initial_state(21)
    a, b = sorted(bank["accounts"])[:2]
    path, text = sorted(files["files"].items())[0]
    blueprint = {"id": "bp-memo", "env": ["filesystem", "bank"], "seed": 21, "turns": [
        {"request": f"What does {path} say?", "calls": [{"name": "read_file", "arguments": {"path": path}}],
         "expect": []},
        {"request": f"Send 25 dollars from {a} to {b} with that text as the memo.",
         "calls": [{"name": "transfer", "arguments": {"from_account": a, "to_account": b, "amount": 25.0, "memo": text}}],
         "expect": [{"path": ["bank", "accounts", a, "balance"], "value": round(bank["accounts"][a]["balance"] - 25, 2)},
                    {"path": ["bank", "accounts", b, "balance"]}, {"path": ["bank", "transactions"]},
                    {"path": ["bank", "next_transaction"]}]}]}
    good = tmp_path / "bp.jsonl"
    good.write_text(json.dumps(blueprint) + "\n")
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(tmp_path / "mt"), "--blueprints", str(good)])
    assert result.exit_code == 0, result.output
    (record,) = list(read_records(str(tmp_path / "mt")))
    assert record.environment is not None and record.environment.name == "bank+filesystem"
    assert record.environment.initial_state == {"bank": bank, "filesystem": files}
    assert record.schema_version == "1.2" and check_trajectory(record).ok
    # the second turn also claims a change in the file system that it does not make: exit 2 naming the turn
    blueprint["turns"][1]["expect"].append({"path": ["filesystem", "files", path], "value": "changed"})
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(blueprint) + "\n")
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(tmp_path / "x"), "--blueprints", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}, line 1, field turns[1]" in result.output and "wrong_value:filesystem/files" in result.output
    bad.write_text(json.dumps({**blueprint, "initial_state": {"retail": {}}}) + "\n")
    result = runner.invoke(app, ["data", "synthesize-mt", "--out", str(tmp_path / "y"), "--blueprints", str(bad)])
    assert result.exit_code == 2 and "field initial_state" in result.output and "not a component" in result.output
