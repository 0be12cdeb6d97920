"""Whole numbers written as the user says them.

The template sampler draws ``number`` arguments with 0, 1 or 2 decimals; with 0 it keeps a float, so the
query says "the length is 378" while the gold call says ``length=378.0``. A model trained on that learns to
append ``.0``, which BFCL's checker rejects for ``integer`` parameters (and never needs for a ``number``
argument: BFCL's checker accepts a Python int for a float there). :func:`whole_numbers_as_int` rewrites
such values after verification, **at the top level only**: inside a list of ``number`` BFCL's checker wants
every element a float (``[12.4, 93, 18.8]`` fails its nested type check), so list elements keep ``93.0``.
(Until 2026-12-07 lists were rewritten too: 962 of the 11,666 records of fc-smol's baseline data set then
failed the BFCL-style checker on their own gold answer; xlam.preference skips such records.)
"""

from __future__ import annotations

from typing import Any

from xlam.records import Record


def _has_whole_float(value: Any) -> bool:
    return isinstance(value, float) and value.is_integer() and abs(value) < 2**53


def _as_int(value: Any) -> Any:
    return int(value) if _has_whole_float(value) else value


def whole_numbers_as_int(record: Record) -> Record:
    """``record`` with every integral float argument of its calls written as an int (a copy when one is);
    elements of lists stay floats (BFCL's nested type check)."""
    if not any(_has_whole_float(v) for step in record.steps for call in step.tool_calls or []
               for v in call.arguments.values()):
        return record
    steps = [step.model_copy(update={"tool_calls": [
        call.model_copy(update={"arguments": {k: _as_int(v) for k, v in call.arguments.items()}})
        for call in step.tool_calls]}) if step.tool_calls else step for step in record.steps]
    return record.model_copy(update={"steps": steps})


__all__ = ["whole_numbers_as_int"]
