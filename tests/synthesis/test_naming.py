"""Namespaced tool names for verified samples (BFCL names about half its functions with dots)."""

from __future__ import annotations

from pathlib import Path

from xlam.datasets import read_records
from xlam.synthesis.config import SynthesisConfig
from xlam.synthesis.naming import NAME_STYLES, namespaced
from xlam.synthesis.runner import run_synthesis


def test_styles() -> None:
    assert namespaced("factorial", "math", "{ns}.{name}") == "math.factorial"
    assert namespaced("solve", "linear_algebra", "{Cap}.{name}") == "LinearAlgebra.solve"
    assert namespaced("solve", "linear_algebra", "{short}.{name}") == "linear.solve"
    assert all("{name}" in s for s in NAME_STYLES)


def test_renamed_samples_stay_consistent(tmp_path: Path) -> None:
    run_synthesis(None, str(tmp_path / "d"), SynthesisConfig(n=40, seed=3, namespace_rate=1.0))
    records = list(read_records(str(tmp_path / "d")))
    renamed = [r for r in records if "original_tool_names" in r.meta]
    assert len(renamed) >= 35  # all but name clashes
    rng_names = set()
    for record in renamed:
        names = {t.name for t in record.tools}
        assert set(record.meta["original_tool_names"]) == names
        rng_names |= names
        for step in record.steps:
            assert {c.name for c in step.tool_calls} <= names  # calls follow the renamed tools
        for call in (record.ground_truth.calls if record.ground_truth else []):
            assert set(call) <= names
        assert any(t.startswith("synthesis.tool_names(") for t in record.provenance.transformations)
    assert sum("." in n for n in rng_names) > len(rng_names) / 2
    # the same seed gives the same names
    run_synthesis(None, str(tmp_path / "e"), SynthesisConfig(n=40, seed=3, namespace_rate=1.0))
    assert [r.tools for r in read_records(str(tmp_path / "e"))] == [r.tools for r in records]
