"""The quickstart's plan: the default trains a real model, GPU machines evaluate more, the training
and evaluation specs a run submits (no control plane needed)."""

from __future__ import annotations

from pathlib import Path

from services.quickstart import DEFAULT_SIZE, SIZES, Quickstart, QuickstartOptions
from services.quickstart.plan import AST_CATEGORIES, EVAL_CATEGORIES, GPU_EVAL_LIMIT
from xlam.training import TrainConfig


def test_default_is_a_real_model_evaluated_on_enough_items() -> None:
    assert DEFAULT_SIZE == "smol"
    profile = QuickstartOptions().profile(gpu=False)
    assert profile.recipe == "smol" and profile.eval_limit >= 20
    assert set(EVAL_CATEGORIES) == {"simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"}
    assert AST_CATEGORIES == ("simple_python", "multiple", "parallel", "parallel_multiple")
    assert SIZES["tiny-moe"].eval_limit < 20, "tiny-moe stays the fast smoke run"


def test_gpu_profile_evaluates_more_items_on_the_gpu() -> None:
    profile = QuickstartOptions(size="smol").profile(gpu=True)
    assert profile.use_gpu and profile.eval_limit == GPU_EVAL_LIMIT and profile.precision == "bf16"
    assert QuickstartOptions(size="smol", eval_limit=5).profile(gpu=True).eval_limit == 5, "an explicit limit wins"


def test_training_spec_renders_bfcl_prompts_on_one_local_worker(tmp_path: Path) -> None:
    qs = Quickstart(QuickstartOptions(out=tmp_path / "qs"))
    raw = qs._train_config("sft", ["/data/synth"], None)
    raw["output_dir"] = str(tmp_path / "train")
    config = TrainConfig.model_validate(raw)  # what the worker validates
    assert config.data.prompt_mode == "bfcl" and config.data.output_format == "python_calls"
    assert config.distributed.launcher == "local" and config.distributed.engine == "torch"
    assert config.optim.max_steps == qs.profile.sft_steps and config.model.recipe == "smol"
    assert config.model.train_top_layers == qs.profile.train_top_layers
    ray = Quickstart(QuickstartOptions(out=tmp_path / "qs", launcher="ray"))._train_config("sft", ["/d"], None)
    assert ray["distributed"]["launcher"] == "ray" and ray["distributed"]["engine"] == "deepspeed"


def test_smol_has_no_dpo_and_tiny_moe_keeps_it() -> None:
    assert QuickstartOptions(size="smol").profile(gpu=False).dpo_steps == 0
    assert QuickstartOptions(size="tiny-moe").profile(gpu=False).dpo_steps > 0
    # --train-steps sets the SFT steps (and DPO's, a third, where the size has DPO); it adds no stage
    more = QuickstartOptions(size="smol", train_steps=96).profile(gpu=False)
    assert (more.sft_steps, more.dpo_steps) == (96, 0)
    assert QuickstartOptions(size="tiny-moe", train_steps=30).profile(gpu=False).dpo_steps == 10


def test_eval_budget_is_fitted_to_the_gold_answers(tmp_path: Path) -> None:
    qs = Quickstart(QuickstartOptions(out=tmp_path / "qs", eval_limit=20))
    fitted = qs.eval_budgets()
    assert set(fitted) == set(EVAL_CATEGORIES) and fitted["irrelevance"] == 32  # no gold answer: room for a refusal
    assert fitted["simple_python"] < fitted["parallel_multiple"] <= 256
    explicit = Quickstart(QuickstartOptions(out=tmp_path / "qs", eval_max_tokens=40))
    assert explicit.eval_budgets() == dict.fromkeys(EVAL_CATEGORIES, 40)


def test_cli_defaults_and_sizes_are_the_options_own() -> None:
    """``services/quickstart/cli.py`` repeats the defaults (it imports the heavy package only when the command
    runs): every option's default and the size names must be QuickstartOptions' and SIZES'."""
    import typer
    from typer.main import get_command

    from services.quickstart import cli

    app = typer.Typer()
    cli.register(app)
    app.command()(lambda: None)  # a second command, so that get_command keeps quickstart as a sub-command
    command = get_command(app).commands["quickstart"]  # type: ignore[attr-defined]
    defaults = {p.name: p.default for p in command.params}
    fields = QuickstartOptions.model_fields
    assert set(defaults) <= set(fields), set(defaults) - set(fields)  # project, model_name: no CLI option
    for name, default in defaults.items():
        assert default == fields[name].default, name
    assert set(cli.SIZES) == set(SIZES)
