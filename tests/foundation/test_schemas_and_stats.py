"""Committed JSON Schemas are current; dataset statistics on known records."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import orjson

from xlam.records import Record
from xlam.schemas import SCHEMA_MODELS, schema_documents, stale_schemas
from xlam.stats import bucketed, compute_stats

REPO = Path(__file__).resolve().parents[2]


def test_committed_schemas_are_current() -> None:
    stale = stale_schemas(REPO / "docs" / "schemas")
    assert stale == [], f"run `xlam data schema` to refresh: {stale}"
    assert {f"{n}.schema.json" for n in SCHEMA_MODELS} == set(schema_documents())


def test_records_validate_against_the_schema(fixture_records: dict[str, list[Record]]) -> None:
    schema = orjson.loads(schema_documents()["record.schema.json"])
    validator = jsonschema.Draft202012Validator(schema)
    for records in fixture_records.values():
        for record in records:
            validator.validate(record.model_dump(mode="json"))
    bad = fixture_records["openai"][0].model_dump(mode="json")
    bad["steps"][0]["tool_calls"][0]["name"] = 3
    assert list(validator.iter_errors(bad))


def test_stats(fixture_records: dict[str, list[Record]]) -> None:
    everything = [r for records in fixture_records.values() for r in records]
    stats = compute_stats(everything)
    assert stats.records == len(everything) == 23
    assert stats.by_source == {"apigen": 5, "openai": 5, "sharegpt": 4, "toolbench": 3, "react": 3, "actionstudio": 3}
    assert sum(stats.by_category.values()) == stats.records
    assert stats.by_category["parallel_multiple"] == 2 and stats.by_category["multi_step"] == 5
    assert sum(stats.calls_per_record.values()) == stats.records
    assert stats.calls_per_record[0] == 3  # oa-irrelevant, the Glaive pizza refusal, the greeting
    assert stats.with_rejected == 2 and stats.parallel_steps == 5
    markdown = stats.to_markdown()
    assert "| apigen | 5 | 21.7% |" in markdown and "query chars" in markdown


def test_bucketed_histogram() -> None:
    assert bucketed({0: 1, 3: 2, 12: 1, 18: 2, 40: 1, 200: 5}) == {"0": 1, "3": 2, "11-20": 3, "21-50": 1, ">100": 5}
