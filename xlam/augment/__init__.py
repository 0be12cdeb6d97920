"""Augmentation: prompt-format shuffles and styles, output-format instructions, and verified
task-instruction paraphrases (xLAM paper section 3.2).

    from xlam.augment import AugmentConfig, augment_record, run_augment
    variant = augment_record(record, AugmentConfig(seed=3))
    report = run_augment("data/verified", "data/augmented", AugmentConfig(copies=2))
"""

from xlam.augment.config import AugmentConfig
from xlam.augment.ops import (
    choose_style,
    shuffle_call_arguments,
    shuffle_parallel_calls,
    shuffle_tool_parameters,
    shuffle_tools,
)
from xlam.augment.paraphrase import PARAPHRASE_SYSTEM, ParaphraseOutcome, paraphrase_records, same_calls
from xlam.augment.runner import augment_record, choose_format, record_rng, run_augment

__all__ = [
    "PARAPHRASE_SYSTEM",
    "AugmentConfig",
    "ParaphraseOutcome",
    "augment_record",
    "choose_format",
    "choose_style",
    "paraphrase_records",
    "record_rng",
    "run_augment",
    "same_calls",
    "shuffle_call_arguments",
    "shuffle_parallel_calls",
    "shuffle_tool_parameters",
    "shuffle_tools",
]
