"""Fixtures of the foundation tests: the source fixture files and a converted BFCL corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlam.converters import get_converter, iter_json_items
from xlam.records import Record

SOURCES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    return SOURCES


def convert_file(source: str, path: Path) -> list[Record]:
    converter = get_converter(source)
    return [r for item in iter_json_items(path) for r in converter.convert_item(item)]


@pytest.fixture(scope="session")
def fixture_records() -> dict[str, list[Record]]:
    """Records of every fixture file, by format."""
    names = ["apigen", "openai", "sharegpt", "toolbench", "react", "actionstudio"]
    return {name: convert_file(name, SOURCES / f"{name}.jsonl") for name in names}
