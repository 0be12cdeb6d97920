"""Tool-name styles for verified samples: ``factorial`` -> ``math.factorial`` and the like.

About half of BFCL's function names are dotted (``math.factorial``, ``geometry.area_circle``,
``spotify.play``); a model that only ever saw ``snake_case`` names drops or mangles the namespace.
After a sample has passed verification, its tools (and the calls naming them) can be renamed
consistently into one of several namespace styles built from the tool's library category. Renaming
happens after execution, so the executed function is unaffected; the record keeps the original
names in ``meta.original_tool_names``.
"""

from __future__ import annotations

import random

from xlam.records import Record, Step

#: ``{ns}`` is the tool's category (``linear_algebra``), ``{short}`` its first word (``linear``),
#: ``{Cap}`` the category in CamelCase (``LinearAlgebra``), ``{name}`` the tool name.
NAME_STYLES: tuple[str, ...] = ("{ns}.{name}", "{short}.{name}", "{ns}_tools.{name}", "{Cap}.{name}",
                                "{name}.calculate", "{ns}.{name}")


def namespaced(name: str, category: str, style: str) -> str:
    ns = category.lower().replace("-", "_") or "tools"
    cap = "".join(part.capitalize() for part in ns.split("_"))
    return style.format(ns=ns, short=ns.split("_")[0], Cap=cap, name=name)


def rename_tools(record: Record, categories: dict[str, str], rng: random.Random) -> Record:
    """``record`` with every tool (and call) renamed in one style drawn from ``rng``."""
    style = rng.choice(NAME_STYLES)
    mapping = {t.name: namespaced(t.name, categories.get(t.name, "tools"), style) for t in record.tools}
    if len(set(mapping.values())) != len(mapping):  # a clash: keep the record as it is
        return record
    tools = [t.model_copy(update={"name": mapping[t.name]}) for t in record.tools]

    def step(s: Step) -> Step:
        calls = [c.model_copy(update={"name": mapping.get(c.name, c.name)}) for c in s.tool_calls]
        return s.model_copy(update={"tool_calls": calls})

    steps = [step(s) for s in record.steps]
    update: dict[str, object] = {"tools": tools, "steps": steps,
                                 "meta": {**record.meta, "original_tool_names": {v: k for k, v in mapping.items()}}}
    if record.ground_truth is not None and record.ground_truth.calls:
        renamed = [{mapping.get(name, name): params for name, params in call.items()}
                   for call in record.ground_truth.calls]
        update["ground_truth"] = record.ground_truth.model_copy(update={"calls": renamed})
    prov = record.provenance.model_copy(deep=True)
    prov.transformations.append(f"synthesis.tool_names({style})")
    update["provenance"] = prov
    return record.model_copy(update=update)


__all__ = ["NAME_STYLES", "namespaced", "rename_tools"]
