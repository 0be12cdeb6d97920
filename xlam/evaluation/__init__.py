"""BFCL evaluation harness: generation with the generator backends, scoring with :mod:`xlam.bfcl`,
reports and run comparison.

    from xlam.evaluation import EvalConfig, run_bfcl_eval, compare_results
    result = run_bfcl_eval(EvalConfig(model="smol", limit=5), "runs/eval-smol")
"""

from xlam.evaluation.compare import CategoryDelta, Comparison, compare_results
from xlam.evaluation.config import (
    CATEGORY_GROUPS,
    DEFAULT_CATEGORIES,
    SINGLE_TURN,
    EvalConfig,
    expand_categories,
)
from xlam.evaluation.harness import run_bfcl_eval, select_entries
from xlam.evaluation.results import EvalResult, load_items, load_result
from xlam.evaluation.scoring_files import read_outputs, score_outputs_file

__all__ = [
    "CATEGORY_GROUPS",
    "DEFAULT_CATEGORIES",
    "SINGLE_TURN",
    "CategoryDelta",
    "Comparison",
    "EvalConfig",
    "EvalResult",
    "compare_results",
    "expand_categories",
    "load_items",
    "load_result",
    "read_outputs",
    "run_bfcl_eval",
    "score_outputs_file",
    "select_entries",
]
