"""Preference (DPO) pairs: verified chosen answers vs. labelled corruptions or failed weaker generations."""

from xlam.preference.checker import CheckResult, check_step
from xlam.preference.corruptions import CORRUPTIONS
from xlam.preference.runner import PreferenceConfig, build_pairs, run_preference

__all__ = ["CORRUPTIONS", "CheckResult", "PreferenceConfig", "build_pairs", "check_step",
           "run_preference"]
