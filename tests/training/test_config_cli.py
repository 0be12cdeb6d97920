"""Bad configs are rejected with messages naming the field; the CLI exits 2; the planner CLI works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlam.training.config import TrainConfigError, load_train_config, parse_train_config

GOOD = {"model": {"recipe": "tiny"}, "data": {"datasets": ["/tmp/none"]}}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"model": {"recipe": "gpt-5"}}, "model.recipe"),
        ({"optim": {"lr": 0}}, "optim.lr"),
        ({"optim": {"lrr": 1e-5}}, "optim.lrr"),
        ({"distributed": {"zero_stage": 4}}, "distributed.zero_stage"),
        ({"distributed": {"zero_stage": 2, "offload_params": True}}, "distributed"),
        ({"checkpoint": {"keep": 1}}, "checkpoint.keep"),
        ({"data": {"datasets": [], "mixture": None}}, "<config>"),
        ({"method": "ppo"}, "method"),
    ],
)
def test_bad_config_names_the_field(patch: dict, field: str) -> None:
    raw = json.loads(json.dumps(GOOD))
    for key, value in patch.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    with pytest.raises(TrainConfigError) as info:
        parse_train_config(raw)
    assert any(f == field for f, _ in info.value.problems), info.value.problems
    assert field in str(info.value)


def test_yaml_overrides_and_lora_default(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("model:\n  recipe: xlam-8x22b\ndata:\n  datasets: [/x]\n")
    cfg = load_train_config(path, {"optim.lr": 2e-5})
    assert cfg.optim.lr == 2e-5 and cfg.use_lora  # 8x22b: LoRA by default
    assert not load_train_config(path, {"model.recipe": "xlam-8x7b"}).use_lora
    assert load_train_config(path, {"model.recipe": "xlam-8x7b", "method": "dpo"}).use_lora


def test_cli_rejects_bad_config_with_exit_2(tmp_path: Path) -> None:
    from xlam.cli.main import app

    path = tmp_path / "bad.yaml"
    path.write_text("model:\n  recipe: tiny\n  bogus: 1\ndata:\n  datasets: [/x]\n")
    result = CliRunner().invoke(app, ["train", "run", "--config", str(path)])
    assert result.exit_code == 2
    assert "model.bogus" in result.output


def test_cli_plan_json() -> None:
    from xlam.cli.main import app

    result = CliRunner().invoke(app, ["train", "plan", "--recipe", "xlam-8x22b", "--gpu", "h100-80gb",
                                      "--gpus-per-node", "8", "--nodes", "1", "--method", "lora", "--seq",
                                      "4096", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["recommended"]["zero_stage"] == 3 and plan["recommended"]["gpus_per_node"] == 8
    assert plan["trainable_params"] < 1e8 < plan["total_params"]
