"""Whole numbers written as the user says them.

The template sampler draws ``number`` arguments with 0, 1 or 2 decimals; with 0 it keeps a float, so the
query says "the length is 378" while the gold call says ``length=378.0``. A model trained on that learns to
append ``.0``, which BFCL's checker rejects for ``integer`` parameters (and never needs for ``number``:
Python ints are accepted for floats). :func:`whole_numbers_as_int` rewrites such values after verification.
"""

from __future__ import annotations

from typing import Any

from xlam.records import Record


def _as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_as_int(v) for v in value]
    return value


def _has_whole_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer() and abs(value) < 2**53
    return isinstance(value, list) and any(_has_whole_float(v) for v in value)


def whole_numbers_as_int(record: Record) -> Record:
    """``record`` with every integral float in its calls' arguments written as an int (a copy when one is)."""
    if not any(_has_whole_float(v) for step in record.steps for call in step.tool_calls or []
               for v in call.arguments.values()):
        return record
    steps = [step.model_copy(update={"tool_calls": [
        call.model_copy(update={"arguments": {k: _as_int(v) for k, v in call.arguments.items()}})
        for call in step.tool_calls]}) if step.tool_calls else step for step in record.steps]
    return record.model_copy(update={"steps": steps})


__all__ = ["whole_numbers_as_int"]
