"""Large numbers as requests hold and write them ("$10,000", "a population of 213 million").

The value sampler keeps numbers human-sized (:func:`xlam.synthesis.values.sample_number` draws within
-1000..1000 or a span of 10,000 for huge declared ranges), so a catalog tool that takes an amount of money up to
10,000,000 was only ever asked about 734.56. BFCL's non-live queries need a number of 1,000 or more in 128 of
their 1,000 call items ("an investment of $10000", "$2 million", "a population of 213 million", "$2,000,000")
and the recipe's model got 34 of those right (27%, against 44% of simple_python; run 9's outputs); every item
that writes the number with thousands separators or a scale word failed (26 of 26 single-turn items, 24 of them
non-live; :mod:`xlam.evaluation.value_kinds`).

``SynthesisConfig.magnitude_rate`` (both halves draw nothing at 0, so seeded data stays the same):

- :func:`draw_magnitude`: a top-level ``number``/``integer`` argument whose parameter declares a maximum of
  100,000 or more gets, at the rate, a round large value (two or three significant digits, log-uniform from
  1,000 to the lesser of its maximum and 100 million): 25000, 130000, 8500000.
- :func:`voice_magnitude`: a whole number of 1,000 or more is said, at the rate, as people write it: with
  thousands separators ("25,000"), with a scale word where it is whole in millions or billions to a tenth or
  a hundredth ("8.5 million", "2 million", "1.25 billion"), and with a dollar sign where the parameter is an
  amount of money ("$25,000", "$2 million"). The call keeps the number (``25000``).

:func:`magnitude_forms` lists every form, for the semantic check (:mod:`xlam.synthesis.checks`).
"""

from __future__ import annotations

import math
import random
import re
from typing import Any, TypeGuard

#: A declared maximum at least this large lets a parameter take a large magnitude.
MIN_DECLARED_MAXIMUM = 100_000
#: Magnitudes are drawn from LOWEST up to the lesser of the parameter's maximum and HIGHEST.
LOWEST, HIGHEST = 1_000, 100_000_000
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"))
_MONEY = re.compile(r"price|cost|amount|principal|income|salary|payment|payout|revenue|budget|rent|fee|fund|"
                    r"capital|invest|loan|deposit|balance|dollar|usd|spend|bill|cart|value|worth|equity|profit|"
                    r"sales|dividend|tax", re.IGNORECASE)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def takes_magnitude(schema: dict[str, Any]) -> bool:
    """A numeric parameter (no ``enum``) that declares a maximum of at least 100,000 and allows 1,000."""
    if schema.get("type") not in ("number", "integer") or "enum" in schema:
        return False
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    if not _is_number(high) or high < MIN_DECLARED_MAXIMUM:
        return False
    return low is None or (_is_number(low) and low < LOWEST)


def is_money(name: str, schema: dict[str, Any]) -> bool:
    """An amount of money, by the parameter's name or description ("principal", "The purchase price.")."""
    return bool(_MONEY.search(name) or _MONEY.search(str(schema.get("description", ""))))


def draw_magnitude(schema: dict[str, Any], rng: random.Random) -> int | float:
    """A round large value the parameter allows: log-uniform from 1,000 to min(maximum, 100 million), kept to
    two significant digits (three in a third of the draws); a float for a ``number`` parameter."""
    high = float(schema.get("maximum", schema.get("exclusiveMaximum", HIGHEST)))
    top = min(high, HIGHEST)
    for _ in range(20):
        raw = math.exp(rng.uniform(math.log(LOWEST), math.log(top)))
        digits = 3 if rng.random() < 1 / 3 else 2
        step = 10 ** max(math.floor(math.log10(raw)) - digits + 1, 0)
        value = int(round(raw / step) * step)
        if LOWEST <= value < high or (value == high and "maximum" in schema):
            return value if schema.get("type") == "integer" else float(value)
    return LOWEST if schema.get("type") == "integer" else float(LOWEST)


def _scaled(value: int) -> list[str]:
    """"8.5 million", "2 million", "1.25 billion" where the value is whole in the scale to two decimals."""
    out = []
    for size, word in _SCALES:
        if value >= size:
            amount = value / size
            if round(amount, 2) == amount:
                text = f"{amount:.2f}".rstrip("0").rstrip(".")
                out.append(f"{text} {word}")
            break
    return out


def magnitude_forms(value: Any, *, money: bool = True) -> list[str]:
    """Every way :func:`voice_magnitude` may write a whole number of 1,000 or more ("25,000", "$25,000",
    "2 million", "$2 million"); [] for other values."""
    if not _is_number(value) or value != int(value) or abs(value) < LOWEST:
        return []
    whole = int(value)
    forms = [f"{whole:,}", *_scaled(whole)]
    if money:
        forms += [f"${form}" for form in [str(whole), *forms]]
    return forms


def voice_magnitude(value: Any, money: bool, rng: random.Random) -> str | None:
    """A whole number of 1,000 or more as people write it: a scale word ("8.5 million") in half the cases
    where one fits, else with separators ("25,000") or, a third of the time, plain digits; a dollar sign
    before an amount of money in two cases of three. None for other values."""
    if not _is_number(value) or value != int(value) or abs(value) < LOWEST:
        return None
    whole = int(value)
    scaled = _scaled(whole)
    if scaled and rng.random() < 0.5:
        text = scaled[0]
    else:
        text = str(whole) if rng.random() < 1 / 3 else f"{whole:,}"
    return f"${text}" if money and whole > 0 and rng.random() < 2 / 3 else text


__all__ = ["draw_magnitude", "is_money", "magnitude_forms", "takes_magnitude", "voice_magnitude"]
