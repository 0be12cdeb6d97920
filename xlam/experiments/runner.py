"""Run an experiment file: data -> train -> eval -> report, for the baseline and every variant.

Work directory layout (every stage is reused when its output exists, so stages can run on
different machines: data on a CPU box, training and evaluation on a GPU):

- ``data/<key>/``: the data set of one data recipe (``key`` hashes the recipe), with ``reports/``;
- ``runs/<variant>/``: training output (checkpoints, ``hf/`` HF model, ``result.json``);
- ``eval/<variant>/`` and ``eval/base/``: BFCL results (``results.jsonl``, ``summary.json``);
- ``report.md``, ``accuracy.png``, ``experiment.json``: the comparison of all variants.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from xlam.dedup.runner import run_dedup
from xlam.experiments.config import DataRecipe, ExperimentConfig, Stage
from xlam.overrides import deep_merge, set_dotted
from xlam.synthesis.config import SynthesisConfig
from xlam.synthesis.multi_turn.config import MultiTurnConfig
from xlam.synthesis.runner import run_synthesis

log = logging.getLogger(__name__)

#: ``eval.call_bias: auto`` fits on samples of the variant's recipe at its seed plus this offset.
HELD_OUT_SEED_OFFSET = 100_003


@dataclass
class Plan:
    """One variant resolved: its data recipe (as a dict), train fields and eval settings."""

    name: str
    data: dict[str, Any]
    train: dict[str, Any]
    eval: dict[str, Any]
    dpo: dict[str, Any] | None = None  # TrainConfig fields over ``train`` for a DPO stage after SFT
    model_of: str | None = None  # scores this plan's trained model (Variant.model_of)

    @property
    def data_key(self) -> str:
        # fields added later hash only when set to something else than their default (xlam.stable_dump), here
        # and in the nested synthesis and multi-turn configs, so existing data sets keep their keys and a variant
        # that sets such an option back to its default shares the baseline's data set
        data = DataRecipe.without_later_defaults(self.data)
        for name, model in (("synthesis", SynthesisConfig), ("multi_turn", MultiTurnConfig)):
            if isinstance(data.get(name), dict):
                data = {**data, name: model.without_later_defaults(data[name])}
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def plans(config: ExperimentConfig) -> list[Plan]:
    base: dict[str, Any] = {"data": config.data.model_dump(mode="json"), "train": copy.deepcopy(config.train),
                            "eval": config.eval.model_dump(mode="json"), "dpo": copy.deepcopy(config.dpo)}
    out = [Plan(config.baseline_name, **copy.deepcopy(base))]
    by_name = {v.name: v for v in config.variants}
    for variant in config.variants:
        tree = copy.deepcopy(base)
        target = by_name.get(variant.replicate_of or variant.model_of or "")
        overrides = {**(target.overrides if target is not None else {}), **variant.overrides}
        for dotted, value in overrides.items():
            if dotted.startswith("dpo.") and tree["dpo"] is None:
                tree["dpo"] = {}  # a variant may add the DPO stage the baseline does not have
            set_dotted(tree, dotted, value)
        seed = variant.seed if variant.seed is not None else (target.seed if target is not None else None)
        if seed is not None:  # the data's samplers and the training run (multi-turn dialogues too)
            set_dotted(tree, "data.synthesis.seed", seed)
            if tree["data"].get("multi_turn") is not None:
                set_dotted(tree, "data.multi_turn.seed", seed)
            set_dotted(tree, "train.seed", seed)
        out.append(Plan(variant.name, **tree, model_of=variant.model_of))
    return out


class ExperimentRunner:
    def __init__(self, config: ExperimentConfig, workdir: str | Path, *, device: str | None = None) -> None:
        self.config = config
        self.work = Path(workdir).resolve()
        self.device = device
        self.timings: dict[str, float] = {}

    # --- data ----------------------------------------------------------------------------------
    def data_dir(self, plan: Plan) -> Path:
        return self.work / "data" / plan.data_key

    def build_data(self, plan: Plan) -> Path:
        """Synthesize (verified, or everything generated when ``verify`` is off), augment, dedup."""
        from xlam.augment.config import AugmentConfig
        from xlam.augment.runner import run_augment
        from xlam.dedup.config import DedupConfig

        target = self.data_dir(plan)
        final = target / "dataset"
        if (final / "manifest.json").is_file():
            self.build_pairs(plan)
            return final
        shutil.rmtree(target, ignore_errors=True)
        (target / "reports").mkdir(parents=True)
        (target / "recipe.json").write_text(json.dumps(plan.data, indent=2, sort_keys=True))
        recipe = plan.data
        synth = SynthesisConfig.model_validate({"seed": self.config.seed, **recipe["synthesis"]})
        verified, rejects = str(target / "synth"), str(target / "synth-rejects")
        started = time.perf_counter()
        run_synthesis(None, verified, synth, rejects_uri=None if recipe["verify"] else rejects,
                      report_dir=target / "reports" / "synthesis")
        sources = [verified] if recipe["verify"] else [verified, rejects]
        if recipe.get("multi_turn") is not None:
            from xlam.synthesis.multi_turn.runner import run_multi_turn_synthesis

            dialogues = str(target / "synth-mt")
            run_multi_turn_synthesis(dialogues, MultiTurnConfig.model_validate(
                {"seed": self.config.seed, **recipe["multi_turn"]}), report_dir=target / "reports" / "synthesis-mt")
            sources.append(dialogues)
        if recipe.get("augment") is not None:
            augmented = []
            for i, uri in enumerate(sources):
                out = str(target / f"augment-{i}")
                run_augment(uri, out, AugmentConfig.model_validate(recipe["augment"]),
                            report_dir=str(target / "reports" / f"augment-{i}"))
                augmented.append(out)
            sources = augmented
        sources += list(recipe.get("extra_datasets") or [])
        dedup = DedupConfig.model_validate(recipe["dedup"]) if recipe.get("dedup") is not None else None
        merged = str(target / "merged") if recipe.get("decontaminate", True) else str(final)
        if dedup is not None:
            run_dedup(sources, merged, dedup, report_dir=target / "reports" / "dedup")
        else:
            from xlam.datasets import concat_datasets

            concat_datasets(sources, merged)
        if recipe.get("decontaminate", True):
            from xlam.experiments.contamination import decontaminate

            counts = decontaminate(merged, str(final))
            (target / "reports" / "decontaminate.json").write_text(json.dumps(counts, indent=2))
        self.build_pairs(plan)
        self.timings[f"data:{plan.data_key}"] = time.perf_counter() - started
        return final

    def pairs_dir(self, plan: Plan) -> Path:
        return self.data_dir(plan) / "pairs"

    def build_pairs(self, plan: Plan) -> Path | None:
        """The DPO pairs of the data recipe's ``preference`` (from the final data set), if it has one."""
        if plan.data.get("preference") is None:
            return None
        from xlam.preference.runner import PreferenceConfig, run_preference

        pairs = self.pairs_dir(plan)
        if not (pairs / "manifest.json").is_file():
            run_preference(str(self.data_dir(plan) / "dataset"), str(pairs),
                           PreferenceConfig.model_validate(plan.data["preference"]), overwrite=True,
                           report_dir=self.data_dir(plan) / "reports" / "preference")
        return pairs

    # --- train ---------------------------------------------------------------------------------
    def run_dir(self, plan: Plan) -> Path:
        return self.work / "runs" / (plan.model_of or plan.name)

    def model_dir(self, plan: Plan) -> Path:
        """The model a variant's evaluation scores: the DPO stage's export if it has one, else SFT's."""
        return self.run_dir(plan) / ("dpo/hf" if plan.dpo is not None else "hf")

    def train(self, plan: Plan) -> Path:
        """SFT on the variant's data set, then (``plan.dpo``) DPO from the SFT model on its pairs."""
        sft = self._train_phase(plan, plan.train, self.run_dir(plan), [self.data_dir(plan) / "dataset"], "train")
        if plan.dpo is None:
            return sft
        pairs = self.pairs_dir(plan)
        if not (pairs / "manifest.json").is_file():
            raise RuntimeError(f"variant {plan.name}: no DPO pairs in {pairs} (run the data stage with this code)")
        fields = deep_merge(plan.train, plan.dpo)
        fields["method"] = "dpo"
        fields.setdefault("model", {})["checkpoint"] = str(sft)
        fields.pop("name", None)
        return self._train_phase(plan, fields, self.run_dir(plan) / "dpo", [pairs], "dpo", suffix="-dpo")

    def _train_phase(self, plan: Plan, train: dict[str, Any], out: Path, datasets: list[Path], label: str,
                     suffix: str = "") -> Path:
        from xlam.training.config import TrainConfig
        from xlam.training.launch import run_training

        export = out / "hf"
        if (export / "config.json").is_file() and (out / "result.json").is_file():
            return export
        fields = copy.deepcopy(train)
        fields.setdefault("name", f"{self.config.name}-{plan.name}{suffix}")
        fields["output_dir"] = str(out)
        fields.setdefault("seed", self.config.seed)
        fields.setdefault("data", {})["datasets"] = [str(d) for d in datasets]
        config = TrainConfig.model_validate(fields)
        started = time.perf_counter()
        result = run_training(config)
        self.timings[f"{label}:{plan.name}"] = time.perf_counter() - started
        if not result.hf_export_dir:
            raise RuntimeError(f"variant {plan.name}: {label} exported no model (train.export must be true)")
        return Path(result.hf_export_dir)

    # --- eval ----------------------------------------------------------------------------------
    def eval_dir(self, name: str) -> Path:
        return self.work / "eval" / name

    def fit_call_bias(self, out: Path, generator: Any, plan: Plan | None, *, samples: int,
                      held_out_options: dict[str, Any] | None = None) -> float:
        """``eval.call_bias: auto``: the bias fitted on held-out samples of the plan's own recipe at another seed
        (xlam.evaluation.call_bias), kept in ``call_bias.json`` so a resumed evaluation uses the same one."""
        fitted = out / "call_bias.json"
        if fitted.is_file():
            return float(json.loads(fitted.read_text())["bias"])
        if plan is None:  # the untrained base model has no recipe of its own: scored as it is
            return 0.0
        from xlam.evaluation.call_bias import NATURAL_PHRASING, fit_held_out
        from xlam.generators import create_generator

        seed = plan.data["synthesis"].get("seed", self.config.seed) + HELD_OUT_SEED_OFFSET
        options = NATURAL_PHRASING if held_out_options is None else held_out_options
        synthesis = {**plan.data["synthesis"], **options, "seed": seed, "n": samples}
        fit = fit_held_out(create_generator(generator), synthesis, out / "call-bias-held-out", fitted)
        log.info("call bias for %s: %.3f (held-out call rate %.3f -> %.3f, reply rate %.3f -> %.3f)", out.name,
                 fit.bias, fit.call_rate_before, fit.call_rate_after, fit.reply_rate_before, fit.reply_rate_after)
        return fit.bias

    def evaluate(self, name: str, model: str, settings: dict[str, Any], plan: Plan | None = None) -> Path:
        from xlam.evaluation.config import EvalConfig, expand_categories
        from xlam.evaluation.harness import run_bfcl_eval
        from xlam.evaluation.multi_turn import expand_multi_turn_categories, is_multi_turn_name
        from xlam.generators import GeneratorConfig

        out = self.eval_dir(name)
        multi = [c for c in settings["categories"] if is_multi_turn_name(c)]
        single = [c for c in settings["categories"] if c not in multi]
        if _scored(out, single, expand_multi_turn_categories(multi)):
            return out
        device = self.device or _default_device()
        generator = GeneratorConfig(backend="hf", model=model, device=device,
                                    dtype="bfloat16" if device.startswith("cuda") else "float32",
                                    batch_size=settings["batch_size"], tool_prompt="prompt")
        bias = settings.get("call_bias", 0.0)
        if bias == "auto":
            bias = self.fit_call_bias(out, generator, plan, samples=settings.get("call_bias_samples", 400),
                                      held_out_options=settings.get("call_bias_held_out"))
        config = EvalConfig(model=model, generator=generator, categories=single or ["simple_python"],
                            limit=settings["limit"], prompt_mode="prompt", max_tokens=settings["max_tokens"],
                            fit_max_tokens=settings.get("fit_max_tokens", True), label=name, call_bias=bias)
        from xlam.evaluation.results import load_items

        before = len(load_items(out))  # items scored by an earlier call (resumed, not re-evaluated)
        started = time.perf_counter()
        # resume: a call cut off mid-evaluation (a GPU lease ends) keeps every item already scored
        # non-live first, then live (long prompts), then multi-turn (turn by turn, step by step: run 3
        # reached ~66 entries per model in a 450 s call): a call cut off by its lease keeps whole
        # categories of the cheapest kinds
        concrete = expand_categories(single) if single else []
        non_live = [c for c in concrete if not c.startswith("live")]
        if non_live:
            result = run_bfcl_eval(config.model_copy(update={"categories": non_live}), out, resume=True,
                                   progress=False)
        if len(non_live) < len(concrete):
            result = run_bfcl_eval(config.model_copy(update={"categories": concrete}), out, resume=True,
                                   progress=False)
        if multi:  # trajectories through BFCL's executable environments, scored as its multi-turn checker
            from xlam.evaluation.multi_turn import run_multi_turn_eval

            result = run_multi_turn_eval(config, multi, out, resume=True, keep_other_results=bool(single),
                                         progress=False)
        seconds = time.perf_counter() - started
        self.timings[f"eval:{name}"] = seconds
        new = max(0, result.items - before)
        log.info("eval %s: %d items in %.0f s (%.1f items/s, model load included; %d in all, %d scored before)",
                 name, new, seconds, new / max(seconds, 1e-9), result.items, before)
        return out

    # --- all -----------------------------------------------------------------------------------
    def run(self, stages: Sequence[Stage], only: Sequence[str] | None = None) -> dict[str, Any]:
        selected = [p for p in plans(self.config) if not only or p.name in only]
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "experiment.json").write_bytes(
            orjson.dumps(self.config.model_dump(mode="json"), option=orjson.OPT_INDENT_2))
        if "data" in stages:
            for plan in selected:
                self.build_data(plan)
        if "train" in stages:
            for plan in selected:
                self.train(plan)
        if "eval" in stages:
            # trained models first: the untrained base rarely stops early, so it is the slowest to score
            for plan in selected:
                self.evaluate(plan.name, str(self.model_dir(plan)), plan.eval, plan)
            if self.config.eval.base and (not only or "base" in only or self.config.baseline_name in only):
                base_model = str(self.config.train.get("model", {}).get("checkpoint") or "smol")
                self.evaluate("base", base_model, self.config.eval.model_dump(mode="json"))
        timings_file = self.work / "timings.json"
        previous = json.loads(timings_file.read_text()) if timings_file.is_file() else {}
        timings_file.write_text(json.dumps({**previous, **self.timings}, indent=2, sort_keys=True))
        summary: dict[str, Any] = {}
        if "report" in stages:
            from xlam.experiments.report import write_report

            summary = write_report(self.config, self.work, plans(self.config))
        return summary


def _scored(out: Path, single: Sequence[str], multi: Sequence[str]) -> bool:
    """Whether ``out`` holds a finished evaluation of these categories (a later call adding a
    category, e.g. multi-turn, scores only what is missing: evaluations resume)."""
    if not (out / "summary.json").is_file():
        return False
    from xlam.evaluation.config import expand_categories
    from xlam.evaluation.results import load_result

    done = set(load_result(out).categories)
    return set(expand_categories(list(single)) if single else []) | set(multi) <= done


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_experiment(config: ExperimentConfig, workdir: str | Path, stages: Sequence[Stage],
                   only: Sequence[str] | None = None, device: str | None = None) -> dict[str, Any]:
    return ExperimentRunner(config, workdir, device=device).run(stages, only)


__all__ = ["ExperimentRunner", "Plan", "plans", "run_experiment"]
