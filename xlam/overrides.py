"""Merging config documents: one deep merge and one dotted-key setter for every layer.

Used by the end-to-end pipeline (a phase's overrides over its base TrainConfig document) and the
operator (planner recommendations where the user's config is silent).
"""

from __future__ import annotations

from typing import Any


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it: nested mappings merge, anything else in ``extra`` wins.
    Neither argument is modified."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def set_dotted(doc: dict[str, Any], dotted: str, value: Any, *, keep_existing: bool = False) -> None:
    """Set ``doc["a"]["b"]["c"] = value`` for ``"a.b.c"`` (creating the mappings on the way), in place;
    with ``keep_existing`` only where the document has no value there yet."""
    *parents, leaf = dotted.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"{dotted!r}: {part!r} is not a mapping")
    if keep_existing:
        node.setdefault(leaf, value)
    else:
        node[leaf] = value
