"""The call-or-reply line at the first answer token (xlam.evaluation.call_bias): the margin decides as greedy
decoding does, a bias moves the first token only, the fit picks the best balanced accuracy on held-out samples,
and an experiment with ``eval.call_bias: auto`` fits one per variant and scores with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlam.datasets import read_records
from xlam.evaluation.call_bias import first_token_margins, fit_call_bias, prompt_request
from xlam.evaluation.config import EvalConfig
from xlam.evaluation.generation import build_request
from xlam.experiments import ExperimentConfig, run_experiment
from xlam.generators import GeneratorConfig, create_generator
from xlam.generators.hf_backend import CALL_BIAS
from xlam.synthesis import SynthesisConfig, run_synthesis


def test_fit_takes_the_middle_of_the_widest_best_interval() -> None:
    # calls at margins -1, 2, 3 and replies at -6, -5, -4 (a sample is called iff margin + bias > 0): every bias in
    # (1, 4] calls every call sample and replies to every reply sample
    fit = fit_call_bias([-1.0, 2.0, 3.0], [-6.0, -5.0, -4.0])
    assert fit.bias == pytest.approx(2.5)  # the middle of (1, 4)
    assert (fit.call_rate_before, fit.reply_rate_before) == (pytest.approx(2 / 3), 1.0)
    assert (fit.call_rate_after, fit.reply_rate_after) == (1.0, 1.0)
    # overlapping classes: the best balanced accuracy, never beyond the clamp
    fit = fit_call_bias([5.0, -3.0], [4.0, -8.0])
    assert fit.call_rate_after + fit.reply_rate_after == pytest.approx(1.5)
    assert abs(fit_call_bias([50.0], [40.0]).bias) <= 20
    with pytest.raises(ValueError, match="call samples and reply samples"):
        fit_call_bias([], [1.0])


def test_margin_decides_as_greedy_and_the_bias_moves_the_first_token(tmp_path: Path) -> None:
    run_synthesis(None, str(tmp_path / "held"), SynthesisConfig(n=6, seed=5, tools="default+domains",
                                                                 styles=["simple", "irrelevance"]))
    requests = [prompt_request(r).model_copy(update={"max_tokens": 3}) for r in read_records(str(tmp_path / "held"))]
    generator = create_generator(GeneratorConfig(backend="hf", model="smol", tool_prompt="prompt"))
    margins = first_token_margins(generator, requests)
    plain = generator.generate(requests)
    assert [m > 0 for m in margins] == [r.text.startswith("[") for r in plain]  # the base model replies
    lifted = generator.generate([r.model_copy(update={"metadata": {CALL_BIAS: 1 - min(margins)}}) for r in requests])
    assert all(r.text.startswith("[") for r in lifted)
    lowered = generator.generate([r.model_copy(update={"metadata": {CALL_BIAS: -5.0}}) for r in requests])
    assert [r.text for r in lowered] == [r.text for r in plain]  # only the "[" logit at the first token moves
    entry = {"id": "simple_python_0", "question": [[{"role": "user", "content": "hi"}]], "function": []}
    assert build_request(entry, "simple_python", EvalConfig(call_bias=1.5)).metadata[CALL_BIAS] == 1.5
    assert CALL_BIAS not in build_request(entry, "simple_python", EvalConfig()).metadata


def _config(**variant: object) -> dict[str, object]:
    return {
        "name": "bias-check",
        "data": {"synthesis": {"n": 12, "styles": ["simple", "irrelevance"]}, "dedup": {}},
        "train": {"model": {"recipe": "tiny"}, "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"},
                  "optim": {"max_steps": 1, "warmup_steps": 0, "lr": 1e-3},
                  "data": {"max_seq_len": 1024, "micro_batch_size": 2}},
        "eval": {"categories": ["simple_python", "irrelevance"], "limit": 2, "batch_size": 4, "max_tokens": 8,
                 "call_bias_samples": 8, "base": False},
        "variants": [{"name": "call-bias", "model_of": "baseline", "overrides": {"eval.call_bias": "auto"}, **variant}],
    }


def test_a_variant_scores_the_baseline_model_with_a_fitted_bias(tmp_path: Path) -> None:
    summary = run_experiment(ExperimentConfig.model_validate(_config()), tmp_path, ["data", "train", "eval", "report"],
                             device="cpu")
    assert not (tmp_path / "runs" / "call-bias").exists()  # one training: the baseline's model, scored twice
    assert summary["rows"]["call-bias"]["train"] == summary["rows"]["baseline"]["train"]
    fitted = json.loads((tmp_path / "eval" / "call-bias" / "call_bias.json").read_text())
    assert -20 <= fitted["bias"] <= 20 and fitted["calls"] + fitted["replies"] == 8
    assert not (tmp_path / "eval" / "baseline" / "call_bias.json").exists()
    held_out = list(read_records(str(tmp_path / "eval" / "call-bias" / "call-bias-held-out")))
    trained = {r.query for r in read_records(str(next((tmp_path / "data").iterdir()) / "dataset"))}
    assert held_out and not {r.query for r in held_out} & trained  # another seed: samples the model never saw
    assert summary["rows"]["call-bias"]["call_bias"]["bias"] == fitted["bias"]
    assert f"{fitted['bias']:+.2f}" in (tmp_path / "report.md").read_text()
    scored = json.loads((tmp_path / "eval" / "call-bias" / "summary.json").read_text())
    assert scored["config"]["call_bias"] == fitted["bias"] and "runs/baseline/hf" in scored["config"]["model"]


def test_model_of_takes_eval_overrides_only() -> None:
    with pytest.raises(ValueError, match="may override eval"):
        ExperimentConfig.model_validate(_config(overrides={"data.synthesis.n": 8}))
    with pytest.raises(ValueError, match="names neither the baseline"):
        ExperimentConfig.model_validate(_config(model_of="nothing"))


def test_multi_turn_biases_the_first_step_of_each_turn_only(tmp_path: Path) -> None:
    from tests.evaluation.test_multi_turn import Oracle
    from xlam.evaluation.multi_turn import run_multi_turn_eval

    oracle = Oracle(["multi_turn_base"], "prompt")
    config = EvalConfig(model="oracle", categories=[], limit=1, prompt_mode="prompt", max_tokens=64, call_bias=2.0)
    run_multi_turn_eval(config, ["multi_turn_base"], tmp_path, generator=oracle, progress=False)
    firsts = [r.messages[-1].role == "user" and not (r.messages[-1].content or "").startswith("[{'role': 'tool'")
              for r in oracle.requests]
    assert any(firsts) and not all(firsts)  # the oracle answers each turn with a step of calls, then a reply
    assert [r.metadata.get(CALL_BIAS) for r in oracle.requests] == [2.0 if f else None for f in firsts]


def test_cli_fits_a_bias_and_rejects_a_bad_recipe(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlam.cli.main import app

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("tools: default\nstyles: [simple, irrelevance]\n")
    runner = CliRunner()
    ok = runner.invoke(app, ["eval", "fit-call-bias", "--model", "smol", "--synthesis", str(recipe), "--n", "6",
                             "--out", str(tmp_path / "fit")])
    assert ok.exit_code == 0, ok.output
    fitted = json.loads((tmp_path / "fit" / "call_bias.json").read_text())
    assert f"--call-bias {fitted['bias']}" in ok.output and fitted["calls"] + fitted["replies"] == 6
    recipe.write_text("tools: default\nstyles: [simple, irrelevance]\noptional_rate: 3\n")
    bad = runner.invoke(app, ["eval", "fit-call-bias", "--model", "smol", "--synthesis", str(recipe),
                              "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "optional_rate" in bad.output, bad.output
    assert not (tmp_path / "bad" / "call_bias.json").exists()
