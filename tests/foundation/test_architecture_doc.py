"""docs/ARCHITECTURE.md and .importlinter describe the same layering: the doc's layer list is the
`layers` contract, every top-level package is in it, and the doc names every contract and exemption."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _linter() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(REPO / ".importlinter")
    return config


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.strip().splitlines() if line.strip()]


def _doc_layers() -> list[str]:
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    blocks = re.findall(r"```text layers\n(.*?)```", doc, flags=re.S)
    assert len(blocks) == 1, "docs/ARCHITECTURE.md needs exactly one ```text layers block"
    return _lines(blocks[0])


def _siblings(layer: str) -> set[str]:
    return {part.strip() for part in re.split(r"[|:]", layer)}


def test_the_doc_layer_list_is_the_layers_contract() -> None:
    contract = _linter()["importlinter:contract:layers"]
    assert contract["type"] == "layers"
    assert _doc_layers() == _lines(contract["layers"])


def test_every_top_level_package_is_in_a_layer_and_shown_in_the_diagram() -> None:
    roots = set(_lines(_linter()["importlinter"]["root_packages"]))
    in_layers = set().union(*(_siblings(layer) for layer in _doc_layers()))
    assert in_layers == roots
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    diagram = re.search(r"## Layers\n+```mermaid\n(.*?)```", doc, flags=re.S)
    assert diagram is not None, "the Layers section starts with a mermaid diagram"
    for package in roots:
        assert f"{package}/" in diagram.group(1), package


def test_the_doc_names_every_contract_and_exemption() -> None:
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    config = _linter()
    for section in config.sections():
        if section.startswith("importlinter:contract:"):
            assert f"`{section.split(':', 2)[2]}`" in doc, section
            for ignored in _lines(config[section].get("ignore_imports", "")):
                assert f"`{ignored}`" in doc, ignored
