"""An experiment file runs end to end on CPU: synthesize -> dedup -> SFT -> BFCL eval -> report."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from xlam.datasets import read_records
from xlam.experiments import ExperimentConfig, plans, run_experiment
from xlam.experiments.contamination import bfcl_index, contamination, overlaps
from xlam.records import Record, Step, Tool, ToolCall

ROOT = Path(__file__).resolve().parents[2]


def _config() -> ExperimentConfig:
    return ExperimentConfig.model_validate({
        "name": "tiny-check",
        "data": {"synthesis": {"n": 24, "styles": ["simple", "irrelevance"]}, "dedup": {}},
        "train": {"model": {"recipe": "tiny"}, "distributed": {"launcher": "local", "num_workers": 1,
                                                               "engine": "torch"},
                  "optim": {"max_steps": 2, "warmup_steps": 0, "lr": 1e-3},
                  "data": {"max_seq_len": 1024, "micro_batch_size": 2}},
        "eval": {"categories": ["simple_python", "irrelevance"], "limit": 2, "batch_size": 4, "max_tokens": 8},
        "variants": [{"name": "unverified", "description": "verification off",
                      "overrides": {"data.verify": False, "train.optim.max_steps": 1}},
                     {"name": "dpo", "description": "SFT then DPO on the data set's pairs",
                      "overrides": {"data.preference": {}, "dpo.optim.max_steps": 1}}],
    })


def test_variants_share_data_only_when_the_data_recipe_is_equal() -> None:
    config = _config()
    base, unverified, dpo = plans(config)
    assert base.dpo is None and dpo.dpo == {"optim": {"max_steps": 1}} and dpo.data["preference"] is not None
    assert "preference" not in base.data  # added later: absent from the dump (and key) while unset
    with pytest.raises(ValueError, match=r"needs data\.preference"):
        ExperimentConfig.model_validate({"name": "x", "dpo": {"optim": {"max_steps": 1}}})
    assert base.name == "baseline" and unverified.train["optim"]["max_steps"] == 1
    assert base.data_key != unverified.data_key
    same = config.model_copy(update={"variants": [config.variants[0].model_copy(
        update={"overrides": {"train.optim.lr": 1e-4}})]})
    assert len({p.data_key for p in plans(same)}) == 1
    with pytest.raises(ValueError, match="is not a mapping"):
        ExperimentConfig.model_validate({"name": "x", "variants": [
            {"name": "v", "overrides": {"train.optim": 1, "train.optim.lr": 1}}]})
    with pytest.raises(ValueError, match="must start with data"):
        ExperimentConfig.model_validate({"name": "x", "variants": [{"name": "v", "overrides": {"lr": 1}}]})


def test_replicates_are_their_recipe_at_another_seed() -> None:
    from xlam.experiments.report import seed_spread

    raw = _config().model_dump(mode="json")
    raw["variants"] += [{"name": "unverified-s1", "replicate_of": "unverified", "seed": 1,
                         "overrides": {"eval.limit": 1}},
                        {"name": "baseline-s2", "replicate_of": "baseline", "seed": 2}]
    config = ExperimentConfig.model_validate(raw)
    by = {p.name: p for p in plans(config)}
    # the target's overrides, then the seed for the data's samplers and the training
    assert by["unverified-s1"].data["verify"] is False and by["unverified-s1"].train["optim"]["max_steps"] == 1
    assert by["unverified-s1"].data["synthesis"]["seed"] == 1 and by["unverified-s1"].train["seed"] == 1
    assert by["unverified-s1"].eval["limit"] == 1 and by["unverified"].eval["limit"] == 2
    assert by["baseline-s2"].data["synthesis"]["seed"] == 2 and by["baseline-s2"].train["optim"]["max_steps"] == 2
    assert len({by[n].data_key for n in ("baseline", "baseline-s2", "unverified", "unverified-s1")}) == 4
    # same recipe and seed, same data set; the seed is all that tells a replicate's data from its recipe's
    assert {**by["baseline-s2"].data, "synthesis": {**by["baseline-s2"].data["synthesis"], "seed": 0}} == by["baseline"].data

    def row(ast: float, irr: float) -> dict:
        return {"non_live_ast_mean": ast, "categories": {"irrelevance": irr}}

    lines = seed_spread(config, {"baseline": row(25.0, 90.0), "baseline-s2": row(21.5, 95.0),
                                 "unverified": row(10.0, 80.0)})
    table = "\n".join(lines)
    assert "| baseline | 0 (baseline), 2 (baseline-s2) | 25.00, 21.50 | 23.25 | 3.50 | 90.00, 95.00 |" in table
    assert "unverified |" not in table  # its replicate has no result yet: no row
    assert seed_spread(_config(), {"baseline": row(25.0, 90.0)}) == []

    bad = [({"name": "r", "replicate_of": "baseline"}, "needs a seed"),
           ({"name": "r", "replicate_of": "baseline", "seed": 1, "overrides": {"train.optim.lr": 1}}, "eval.\\* only"),
           ({"name": "r", "replicate_of": "nope", "seed": 1}, "names neither the baseline"),
           ({"name": "r", "replicate_of": "unverified-s1", "seed": 3}, "is itself a replicate")]
    for variant, message in bad:
        with pytest.raises(ValueError, match=message):
            ExperimentConfig.model_validate({**raw, "variants": [*raw["variants"], variant]})


@pytest.mark.slow
def test_experiment_runs_end_to_end_on_cpu(tmp_path: Path) -> None:
    summary = run_experiment(_config(), tmp_path, ["data", "train", "eval", "report"], device="cpu")
    assert set(summary["rows"]) == {"base", "baseline", "unverified", "dpo"}
    # the dpo variant: SFT, then DPO from the SFT export on the pairs of its data set; the DPO model is scored
    dpo_result = json.loads((tmp_path / "runs" / "dpo" / "dpo" / "result.json").read_text())
    assert dpo_result["final_step"] == 1 and summary["rows"]["dpo"]["dpo"]["steps"] == 1
    pairs = list(read_records(str(tmp_path / "data" / summary["rows"]["dpo"]["data_key"] / "pairs")))
    assert pairs and all(p.rejected is not None for p in pairs)
    evaluated = json.loads((tmp_path / "eval" / "dpo" / "summary.json").read_text())
    assert "runs/dpo/dpo/hf" in json.dumps(evaluated)
    for name in summary["rows"]:
        with gzip.open(tmp_path / "outputs" / name / "outputs.jsonl.gz") as fh:
            rows = [json.loads(x) for x in fh]
        assert len(rows) == 4 and all(set(r) == {"id", "output"} for r in rows)
    assert summary["rows"]["baseline"]["train"]["steps"] == 2
    train = summary["rows"]["baseline"]["train"]
    assert train["examples"] > 0 and train["skipped_over_length"] == 0  # what the trainer rendered and dropped
    report = (tmp_path / "report.md").read_text()
    assert "| baseline |" in report and "| unverified |" in report and (tmp_path / "accuracy.png").is_file()
    assert "## What fails" in report and set(summary["rows"]["baseline"]["failures"]) == {"prose", "unparsable", "wrong_call"}
    info = next(iter(summary["data"].values()))
    # decontaminated: no BFCL function name, no BFCL query 8-gram left in the training set
    assert info["records_with_bfcl_function_name"] == 0 and info["records_with_bfcl_query_8gram"] == 0
    # a rerun reuses every stage
    again = run_experiment(_config(), tmp_path, ["data", "train", "eval", "report"], device="cpu")
    assert again["rows"]["baseline"]["categories"] == summary["rows"]["baseline"]["categories"]


def test_contamination_finds_bfcl_names_and_query_ngrams() -> None:
    from xlam.bfcl.data import load_questions

    entry = load_questions("simple_python")[0]
    leaked = Record(id="leak", source="t", tools=[Tool.from_bfcl(entry["function"][0])],
                    query=entry["question"][0][0]["content"],
                    steps=[Step(tool_calls=[ToolCall(name=entry["function"][0]["name"], arguments={})])])
    clean = Record(id="clean", source="t", tools=[Tool(name="zz_unique_tool", description="x")],
                   query="Please frobnicate the quux with seven widgets and eleven gadgets today.",
                   steps=[Step(response="ok")])
    report = contamination([leaked, clean], categories=["simple_python"])
    names, grams = bfcl_index(["simple_python"])
    assert overlaps(clean, names, grams) == []
    assert overlaps(leaked, names, grams)[0] == f"function name {entry['function'][0]['name']}"
    assert report["records"] == 2
    assert report["records_with_bfcl_function_name"] == 1
    assert report["records_with_bfcl_query_8gram"] == 1 and report["examples"][0]["id"] == "leak"


def test_committed_experiment_files_validate() -> None:
    import yaml

    files = sorted((ROOT / "experiments").glob("*.yaml"))
    assert files
    for path in files:
        config = ExperimentConfig.model_validate(yaml.safe_load(path.read_text()))
        assert plans(config)
    from xlam.synthesis import SynthesisConfig

    recipes = sorted((ROOT / "experiments" / "synthesis").glob("*.yaml"))  # synthesis recipes (fit-call-bias)
    assert recipes and all(SynthesisConfig.model_validate(yaml.safe_load(p.read_text())) for p in recipes)


def test_cli_rejects_bad_experiment_files(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlam.cli.main import app

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nvariants:\n  - name: v\n    overrides: {lr: 1}\n")
    result = CliRunner().invoke(app, ["experiment", "run", str(bad), "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 2 and "must start with data" in result.output
    assert not (tmp_path / "w").exists()
    good = ROOT / "experiments" / "fc-smol.yaml"
    result = CliRunner().invoke(app, ["experiment", "run", str(good), "--workdir", str(tmp_path / "w"),
                                      "--only", "nope"])
    assert result.exit_code == 2 and "nope" in result.output
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    result = CliRunner().invoke(app, ["experiment", "run", str(empty), "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 2 and "empty" in result.output
