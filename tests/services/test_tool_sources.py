"""Built-in tool catalogs in a synthesis spec are names, not paths: the input-URI policy passes them
through and still checks every other part of a `+`-joined source."""

from __future__ import annotations

import pytest

from platform_contracts.runspecs import input_uris
from xlam.synthesis.library import load_tool_library


@pytest.mark.parametrize("tools", ["default", "domains", "default+domains", "domains + default"])
def test_builtin_catalogs_are_not_uris(tools: str) -> None:
    assert input_uris("synthesis", {"config": {"tools": tools}}) == []
    assert len(load_tool_library(tools).entries) > 0  # and the library really knows them


@pytest.mark.parametrize("tools", ["/etc/passwd", "default+/etc/passwd", "domains+tools.jsonl"])
def test_other_sources_are_checked_as_uris(tools: str) -> None:
    assert input_uris("synthesis", {"config": {"tools": tools}}) == [("spec.config.tools", tools)]
