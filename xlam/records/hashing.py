"""Canonical JSON and stable content hashes.

The same content gives the same hash on every run and machine: keys are sorted, no whitespace,
UTF-8, and floats use orjson's shortest round-trip representation.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` deterministically (sorted keys, compact)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def content_hash(value: Any) -> str:
    """Hex sha256 of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
