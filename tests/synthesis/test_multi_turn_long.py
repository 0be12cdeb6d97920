"""Distractor environments (``MultiTurnConfig.distractor_environments``): BFCL-length multi-turn prompts.

BFCL's multi-turn entries offer the whole API classes involved (median 28 tools, about 7,200 SmolLM2
tokens at the first turn); with the option, a dialogue offers its environments' tools plus the whole tool
sets of other environments it never needs. Off, the output is byte-identical to the code before the
option existed; on, the gold calls, the replay and the blueprint's final state are those of the
dialogue without distractors, only the offered tools (and the prompt) grow."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from xlam.cli.main import app
from xlam.datasets import read_records
from xlam.envs import ENVIRONMENTS, get_environment, open_environment
from xlam.experiments import ExperimentConfig, plans
from xlam.records import Record, ToolCall
from xlam.synthesis.multi_turn import (
    MultiTurnConfig,
    check_trajectory,
    replay_issues,
    run_multi_turn_synthesis,
)
from xlam.synthesis.multi_turn.blueprints import Blueprint
from xlam.synthesis.multi_turn.mixed import distractor_pool, sample_distractors
from xlam.synthesis.multi_turn.runner import MultiTurnSynthesizer
from xlam.training.tokenization import bfcl_system_prompt

ROOT = Path(__file__).resolve().parents[2]
DECLINES = ("Sorry, I can't help with that", "That's outside what I can do", "I'm not able to do that with the")
SETTINGS = {"seed": 0, "mixed_rate": 0.5, "missing_function_rate": 0.4, "irrelevance_rate": 0.4}


def _digests(root: Path) -> dict[str, str]:
    return {name: hashlib.sha256((root / name / "part-00000.jsonl").read_bytes()).hexdigest() for name in ("out", "rej")}


@pytest.mark.parametrize("extra", [{}, {"distractor_environments": 0}])
def test_option_off_is_byte_identical_to_before(tmp_path: Path, extra: dict[str, Any]) -> None:
    """Verified dialogues and rejected drafts as the code before the option wrote them (commit 4f3ac1c)."""
    config = MultiTurnConfig(n=40, **SETTINGS, **extra)
    run_multi_turn_synthesis(str(tmp_path / "out"), config, rejects_uri=str(tmp_path / "rej"))
    assert _digests(tmp_path) == {"out": "b7ba87467d9c2e4d267c083bcc074bdfb2ae48a12cf0df23b53de3f774b19a17",
                                  "rej": "884cbcfc4e3bd9442dcb4440568866131cf8b62f4ab363efc8001c33dc4a2838"}
    assert "distractor_environments" not in config.model_dump()  # the report's config and data keys as before
    assert MultiTurnConfig(n=40, distractor_environments=1).model_dump()["distractor_environments"] == 1


def _batch(k: int, count: int = 48) -> list[tuple[Blueprint, Any, Record]]:
    """One batch of blueprints and their dialogues; the same blueprints and dialogue seeds for every ``k``."""
    synth = MultiTurnSynthesizer(MultiTurnConfig(n=count, distractor_environments=k, **SETTINGS))
    batch = [bp for bp, _, _ in synth.blueprints(count) if bp is not None]
    return synth.run_batch(batch, seeds=list(range(len(batch))))


@pytest.fixture(scope="module")
def batches() -> dict[int, list[tuple[Blueprint, Any, Record]]]:
    return {k: _batch(k) for k in (0, 1, 2)}


def _tool_names(envs: list[str]) -> set[str]:
    return {n for e in envs for n in get_environment(e).tool_names()}


@pytest.mark.parametrize("k", [1, 2])
def test_offered_tools_are_the_whole_environments_plus_distractors(batches: dict[int, Any], k: int) -> None:
    kept = [(bp, r) for bp, outcome, r in batches[k] if outcome.ok]
    assert len(kept) >= 30 and any(bp.mixed for bp, _ in kept) and any(not bp.mixed for bp, _ in kept)
    seen: set[str] = set()
    for bp, record in kept:
        assert record.environment is not None and record.environment.name == bp.env  # replays the involved only
        distractors = record.provenance.extra["distractor_environments"]
        assert distractors == bp.distractors and len(distractors) == min(k, len(ENVIRONMENTS) - len(bp.components))
        assert not set(distractors) & set(bp.components)
        offered = [t.name for t in record.tools]
        assert len(offered) == len(set(offered))
        assert set(offered) == _tool_names(bp.components) | _tool_names(distractors)  # no clash among the four
        assert record.provenance.extra["tools"] == offered
        needed = _tool_names(bp.components)
        calls = [c.name for s in record.steps for c in s.tool_calls]
        assert calls and set(calls) <= needed and not set(calls) & _tool_names(distractors)
        seen.update(distractors)
    assert seen == set(ENVIRONMENTS)  # every environment is drawn as a distractor somewhere


@pytest.mark.parametrize("k", [1, 2])
def test_gold_trajectory_and_final_state_unchanged(batches: dict[int, Any], k: int) -> None:
    """Same blueprints, same calls, same user turns and same final state with or without distractors, and
    every kept dialogue replays to its blueprint's final state."""
    assert len(batches[0]) == len(batches[k])
    kept = 0
    for (bp0, out0, rec0), (bp, outcome, record) in zip(batches[0], batches[k], strict=True):
        assert bp0.id == bp.id and out0.ok == outcome.ok
        if not outcome.ok:
            continue
        kept += 1
        assert [(s.user_input, s.tool_calls, s.observations) for s in record.steps] == \
               [(s.user_input, s.tool_calls, s.observations) for s in rec0.steps]
        assert record.ground_truth == rec0.ground_truth and record.query == rec0.query
        assert bp.final_hash == bp0.final_hash and record.environment.final_state_sha256 == bp.final_hash
        assert replay_issues(record) == []
        env = open_environment(record.environment.name, record.environment.initial_state)
        for step in record.steps:
            for call in step.tool_calls:
                assert env.execute(ToolCall(name=call.name, arguments=call.arguments)).ok
        assert env.state_hash() == bp.final_hash
        assert check_trajectory(record, bp).ok
    assert kept >= 30


def test_a_call_to_a_distractor_tool_fails_the_format_check(batches: dict[int, Any]) -> None:
    bp, _, record = next((bp, o, r) for bp, o, r in batches[1] if o.ok and not bp.mixed)
    distractor_tool = get_environment(bp.distractors[0]).tool_names()[0]
    bad = record.model_copy(deep=True)
    step = next(s for s in bad.steps if s.tool_calls)
    step.tool_calls[0] = ToolCall(name=distractor_tool, arguments={})
    out = check_trajectory(bad, bp)
    assert out.failed_stage == "trajectory:format"
    assert any(r.startswith(f"distractor_call:{distractor_tool}@") for r in out.reasons)


def test_declines_name_every_offered_system(batches: dict[int, Any]) -> None:
    """An off-domain request is declined naming the systems whose tools are offered (distractors too)."""
    declines = [(bp, s.response) for bp, o, r in batches[2] if o.ok and bp.irrelevant_at is not None
                for s in r.steps if s.response.startswith(DECLINES)]
    assert declines
    for bp, text in declines:
        for env in bp.offered_environments:
            assert get_environment(env).description in text


def test_prompt_length_grows_by_the_distractor_tools(batches: dict[int, Any]) -> None:
    """Each kept dialogue offers its own tools plus every tool of its distractors, so BFCL's system prompt
    (as training and evaluation show it) grows with every distractor environment."""
    for k in (1, 2):
        for (_, _, r0), (bp, outcome, r) in zip(batches[0], batches[k], strict=True):
            if outcome.ok:
                extra = sum(len(get_environment(e).tools()) for e in bp.distractors)
                assert extra > 0 and len(r.tools) == len(r0.tools) + extra
    chars = {k: [len(bfcl_system_prompt(list(r.tools))) for _, o, r in batch if o.ok] for k, batch in batches.items()}
    for off, one, two in zip(chars[0], chars[1], chars[2], strict=True):
        assert off < one < two
    median = {k: sorted(v)[len(v) // 2] for k, v in chars.items()}
    assert median[1] > 1.3 * median[0] and median[2] > 1.8 * median[0]  # measured: 10.6k -> 15.9k -> 21.4k chars


def test_distractor_pool_and_sampling() -> None:
    assert distractor_pool(["bank"]) == ["calendar", "filesystem", "retail"]
    assert distractor_pool(["bank", "retail"]) == ["calendar", "filesystem"]
    assert distractor_pool(sorted(ENVIRONMENTS)) == []
    assert sample_distractors(["bank"], 3, random.Random(1)) == ["calendar", "filesystem", "retail"]
    assert sample_distractors(["bank", "retail"], 3, random.Random(1)) == ["calendar", "filesystem"]
    draws = {tuple(sample_distractors(["bank"], 1, random.Random(s))) for s in range(30)}
    assert draws == {("calendar",), ("filesystem",), ("retail",)}
    assert sample_distractors(["bank"], 2, random.Random(4)) == sample_distractors(["bank"], 2, random.Random(4))
    with pytest.raises(ValueError):
        MultiTurnConfig(distractor_environments=4)


def test_synthesis_run_with_distractors_is_seeded(tmp_path: Path) -> None:
    def run(name: str) -> bytes:
        run_multi_turn_synthesis(str(tmp_path / name), MultiTurnConfig(n=20, distractor_environments=1, **SETTINGS))
        return (tmp_path / name / "part-00000.jsonl").read_bytes()

    assert run("a") == run("b")


def test_fc_smol_multi_turn_long_variant() -> None:
    """The variant: multi-turn + distractors + 8192-token rows, 32k tokens per step as the baseline. Data keys
    stay what they were when measured: the baseline's is run 8's `intents` data set, `seed-1`'s run 8's
    `intents-seed-1`, `no-intents` (the option back to its default) run 8's baseline (run 7's `product`), and
    `no-product` (both back) run 7's baseline (run 6's `percent`)."""
    by_name = {p.name: p for p in plans(ExperimentConfig.model_validate(yaml.safe_load((ROOT / "experiments" / "fc-smol.yaml").read_text())))}
    base, short, long = by_name["baseline"], by_name["multi-turn"], by_name["multi-turn-long"]
    keys = tuple(by_name[n].data_key for n in ("baseline", "seed-1", "no-intents", "no-product"))
    assert keys == ("2b7b783b2469", "16ec21f44dc4", "2ea11baa45ca", "1aa251ff3ae8")
    assert long.data["multi_turn"] == {**short.data["multi_turn"], "distractor_environments": 2}
    assert long.data_key != short.data_key
    tokens = {p.name: p.train["data"]["max_seq_len"] * p.train["data"]["micro_batch_size"] * p.train["optim"]["grad_accum"]
              for p in (base, long)}
    assert tokens == {"baseline": 32768, "multi-turn-long": 32768}
    assert long.train["data"]["max_seq_len"] == 8192 and long.train["data"]["expansion"] == "per_user_turn"
    assert "multi_turn_base" in long.eval["categories"] and "live" not in long.eval["categories"]


def test_cli_flag(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["data", "synthesize-mt", "--out", str(out), "--n", "12", "--mixed-rate", "0.5",
                                      "--distractor-environments", "2"])
    assert result.exit_code == 0, result.output
    records = list(read_records(str(out)))
    assert len(records) == 12 and any(r.environment.components for r in records if r.environment)
    for r in records:
        assert r.environment is not None
        involved = r.environment.name.split("+")
        distractors = r.provenance.extra["distractor_environments"]
        assert len(distractors) == min(2, len(ENVIRONMENTS) - len(involved))
        assert {t.name for t in r.tools} == _tool_names([*involved, *distractors])
    result = CliRunner().invoke(app, ["data", "verify-mt", str(out)])
    assert result.exit_code == 0 and "12 multi-turn records replay" in result.output
