"""The domain catalog (xlam.tools.catalog.domains): every tool harvests to a valid spec, runs in the
sandbox with sampled arguments, rejects an impossible argument with ValueError, shares no name with
BFCL; ``tools: default+domains`` synthesizes verified samples over the new domains; and
``tools: default`` synthesizes byte-for-byte what it did before the domain catalog existed."""

from __future__ import annotations

import hashlib
import importlib
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from xlam.datasets import read_records
from xlam.records import ToolCall
from xlam.synthesis import SynthesisConfig, load_tool_library, run_synthesis, vocabulary
from xlam.synthesis.values import VOCAB, sample_arguments, vocabulary_for
from xlam.tools import SandboxLimits
from xlam.tools.catalog.domains import DOMAIN_MODULES
from xlam.tools.harvest import default_registry, domain_registry
from xlam.tools.registry import ExecutableTool
from xlam.tools.sandbox import execute_calls

# sha256 over what the sampler decides (query, offered tool names, calls with their arguments) of
# `SynthesisConfig(n=300, seed=0)` with `tools: default`. Computed with commit 6ffc38b's code (main before the
# domain catalog) and with this code in one environment on 2026-12-07: identical. Record ids, tool schemas and
# execution results are left out: they also depend on third-party versions (a fresh venv of 2026-12-07 gave
# other ids than the one the first hash came from, for the same queries and calls by 6ffc38b's own code).
DEFAULT_N300_SEED0 = "c8810d2f8c80b16cd8e80a0b360c203e41476b022963e80f9b9ebdcab749ca72"


@pytest.fixture(scope="module")
def domain_tools() -> list[ExecutableTool]:
    return list(domain_registry())


def _fn(tool: ExecutableTool) -> Any:
    module, _, name = tool.target.partition(":")
    return getattr(importlib.import_module(module), name)


def test_catalog_size_and_categories(domain_tools: list[ExecutableTool]) -> None:
    per_category = Counter(t.category for t in domain_tools)
    assert len(per_category) >= 20 and len(DOMAIN_MODULES) == len(per_category)
    assert all(10 <= n <= 15 for n in per_category.values()), per_category
    assert len(domain_tools) >= 250
    for module in DOMAIN_MODULES:
        assert importlib.import_module(module).CATEGORY in per_category
    default_names = {t.name for t in default_registry()}
    assert not default_names & {t.name for t in domain_tools}
    assert not {t.category for t in default_registry()} & set(per_category)


def test_every_tool_harvests_to_a_valid_spec(domain_tools: list[ExecutableTool]) -> None:
    for tool in domain_tools:
        spec = tool.tool
        assert spec.description and spec.description[0].isupper(), spec.name
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
        assert spec.parameters["type"] == "object" and spec.parameters.get("required"), spec.name
        for pname, schema in spec.properties.items():
            assert schema.get("description"), f"{spec.name}.{pname} has no description"
            assert schema.get("type") or schema.get("enum"), f"{spec.name}.{pname} has no type"
        assert tool.kind == "python" and tool.target.startswith("xlam.tools.catalog.domains.")


def test_every_tool_runs_in_the_sandbox_with_sampled_arguments(domain_tools: list[ExecutableTool]) -> None:
    rng = random.Random(0)
    calls: list[ToolCall] = []
    for tool in domain_tools:
        for _ in range(4):
            calls.append(ToolCall(name=tool.name, arguments=sample_arguments(tool.tool.parameters, rng, optional_rate=0.5)))
    registry = domain_registry()
    results = execute_calls(calls, registry, SandboxLimits(wall_seconds=60, cpu_seconds=30))
    ok: Counter[str] = Counter()
    for call, result in zip(calls, results, strict=True):
        if result.ok:
            ok[call.name] += 1
            assert result.value is not None
            json.dumps(result.value)
        else:  # only an argument combination the tool rightly refuses (e.g. an end date before the start)
            assert result.error_class.startswith("exception:ValueError") or "ValueError" in result.message, \
                (call, result.error_class, result.message)
    assert not [t.name for t in domain_tools if ok[t.name] == 0]
    assert sum(ok.values()) >= 0.9 * len(calls)


def _break(schema: dict[str, Any]) -> Any:
    """A value no valid call could carry (``_NO`` when the schema leaves none)."""
    if "enum" in schema:
        return "__no_such_choice__"
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date":
            return "2024-13-45"
        if schema.get("format") == "time":
            return "25:99"
        if schema.get("minLength"):
            return "   " if schema["minLength"] == 1 else ""
    if kind in ("integer", "number"):
        for key in ("minimum", "exclusiveMinimum"):
            if key in schema:
                return schema[key] - 1
    if kind == "array" and schema.get("minItems"):
        return []
    return _NO


_NO = object()


def test_every_tool_rejects_an_impossible_argument(domain_tools: list[ExecutableTool]) -> None:
    rng = random.Random(1)
    for tool in domain_tools:
        valid = sample_arguments(tool.tool.parameters, rng, optional_rate=0.0)
        broken = [(p, _break(s)) for p, s in tool.tool.properties.items() if _break(s) is not _NO]
        assert broken, f"{tool.name}: no argument can be checked"
        pname, bad = broken[0]
        with pytest.raises(ValueError, match=pname):
            _fn(tool)(**{**valid, pname: bad})


def test_calls_are_deterministic(domain_tools: list[ExecutableTool]) -> None:
    rng = random.Random(2)
    for tool in domain_tools[::7]:
        args = sample_arguments(tool.tool.parameters, rng)
        try:
            first = _fn(tool)(**args)
        except ValueError:
            continue
        assert _fn(tool)(**args) == first


def test_no_domain_tool_is_named_like_a_bfcl_function(domain_tools: list[ExecutableTool]) -> None:
    from xlam.assets import AssetNotFound

    try:
        from xlam.experiments.contamination import bfcl_index

        names, _grams = bfcl_index()
    except (AssetNotFound, FileNotFoundError, ModuleNotFoundError):
        pytest.skip("BFCL data (bfcl-eval) is not installed")
    assert names
    assert not names & {t.name for t in domain_tools}


def test_domain_vocabularies_leave_the_computational_catalog_alone(domain_tools: list[ExecutableTool]) -> None:
    default_params: set[str] = set()
    for tool in default_registry():
        for pname in tool.tool.properties:
            default_params |= {pname.lower(), pname.lower()[:-1] if pname.endswith("s") else pname.lower()}
    assert not set(vocabulary.PARAM_VOCAB) & default_params
    assert set(vocabulary.PARAM_VOCAB.values()) <= set(vocabulary.DOMAIN_VOCAB)
    assert vocabulary_for("hotel_name") == "hotel" and vocabulary_for("team_name") == "team"
    assert vocabulary_for("ingredient") == "ingredient"  # the singular of a list parameter
    assert "Grand Hyatt" in VOCAB["hotel"] and VOCAB["city"][0] == "Paris"


def test_tools_sources_domains_and_default_plus_domains() -> None:
    domains = load_tool_library("domains")
    both = load_tool_library("default+domains")
    default = load_tool_library("default")
    assert len(both) == len(domains) + len(default) == len(both.registry)
    assert set(both.by_category) == set(domains.by_category) | set(default.by_category)
    with pytest.raises(ValueError, match="in both"):
        load_tool_library("domains+domains")


def _fingerprint(out: Path) -> str:
    digest = hashlib.sha256()
    for r in read_records(str(out)):
        digest.update(json.dumps([r.query, [t.name for t in r.tools],
                                  [[[c.name, c.arguments] for c in s.tool_calls or []] for s in r.steps]],
                                 sort_keys=True).encode())
    return digest.hexdigest()


def test_default_synthesis_is_unchanged(tmp_path: Path) -> None:
    run_synthesis("default", str(tmp_path / "out"), SynthesisConfig(n=300, seed=0))
    assert _fingerprint(tmp_path / "out") == DEFAULT_N300_SEED0


def test_cli_synthesizes_verified_samples_over_the_domains(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xlam.cli.main import app

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["data", "synthesize", "--n", "300", "--seed", "0", "--tools", "default+domains",
                                      "--out", str(out), "--rejects", str(tmp_path / "rejects")])
    assert result.exit_code == 0, result.output
    records = list(read_records(str(out)))
    assert len(records) == 300
    attempted = 300 + sum(1 for _ in read_records(str(tmp_path / "rejects")))
    assert 300 / attempted >= 0.9
    category = {e.name: e.category for e in load_tool_library("domains").entries}
    called = Counter(category[n] for r in records for n in r.provenance.extra["called"] if n in category)
    assert len(called) >= 15, called
    assert sum(called.values()) >= 150
