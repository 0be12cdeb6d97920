"""Unified records built from the real BFCL v4 files (FOUNDATION's bfcl converter)."""

from __future__ import annotations

from functools import cache

from xlam.assets import bfcl_data_dir
from xlam.bfcl.data import SINGLE_TURN_CATEGORIES
from xlam.converters import get_converter
from xlam.records import Record

# Gold calls in BFCL v4 whose values contradict the function's own declared schema. These are
# real data errors (BFCL's AST checker would reject the same call for the same reason); the
# verifier must reject exactly these and nothing else among the single-turn categories.
KNOWN_BFCL_DATA_ERRORS: dict[str, str] = {
    "simple_python_307": "wrong_type",  # venue (string) given as true
    "parallel_multiple_12": "undefined_argument",  # 'permeability' is not a parameter
    "parallel_multiple_21": "wrong_type",  # x (array of numbers) given as the string "data['sales']"
    "parallel_multiple_26": "undefined_argument",  # 'type' is not a parameter of bank.calculate_balance
    "parallel_multiple_94": "wrong_type",  # elements (array of integers) given as fruit names
    "live_simple_106-63-0": "missing_required_argument",  # required list omitted ("" only)
    "live_simple_112-68-0": "missing_required_argument",
    "live_multiple_87-38-4": "enum_violation",  # "openai" is not in [all, postgres, openapi, graphql]
    "live_multiple_306-131-5": "wrong_type",  # number_of_rooms (integer) given as "dontcare"
    "live_multiple_507-149-4": "missing_required_argument",  # origin_airport omitted
    "live_multiple_750-169-5": "enum_violation",  # genre "Any" not in the enum
    "live_multiple_835-178-10": "enum_violation",  # genre "Reggaeton" not in the enum
    "live_multiple_862-181-3": "undefined_argument",  # 'journey_start_time' is not a parameter
    "live_multiple_871-182-8": "enum_violation",  # genre "Play" not in the enum
    "live_multiple_964-207-0": "undefined_argument",  # 'question' (the parameter is 'statement')
    "live_parallel_multiple_2-2-0": "enum_violation",  # command not among the enum's three strings
}


@cache
def bfcl_records(categories: tuple[str, ...] = SINGLE_TURN_CATEGORIES) -> tuple[Record, ...]:
    converter = get_converter("bfcl")
    items = converter.iter_source(str(bfcl_data_dir()), {"categories": list(categories)})
    return tuple(record for item in items for record in converter.convert_item(item))


def clean_call_records(category: str, n: int) -> list[Record]:
    """The first ``n`` records of ``category`` with a gold call and no known data error."""
    out = [
        r
        for r in bfcl_records()
        if r.meta.get("bfcl_category") == category and r.all_calls() and r.id not in KNOWN_BFCL_DATA_ERRORS
    ]
    return out[:n]
