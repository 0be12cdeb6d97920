"""Experiment files: data recipe -> training -> BFCL evaluation -> report, with ablation variants."""

from xlam.experiments.config import STAGES, DataRecipe, EvalRecipe, ExperimentConfig, Variant
from xlam.experiments.runner import ExperimentRunner, plans, run_experiment

__all__ = ["STAGES", "DataRecipe", "EvalRecipe", "ExperimentConfig", "ExperimentRunner", "Variant", "plans",
           "run_experiment"]
