"""The sandbox runs real tool functions in a limited child process and classifies failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xlam.records import ToolCall
from xlam.tools import ExecutableTool, SandboxLimits, ToolRegistry, execute_calls

from . import sample_tools

FAST = SandboxLimits(wall_seconds=2.0, cpu_seconds=0, memory_mb=512)


@pytest.fixture(scope="module")
def registry() -> ToolRegistry:
    return ToolRegistry.from_module(sample_tools.__name__)


def run(registry: ToolRegistry, name: str, limits: SandboxLimits = FAST, **arguments: object):  # type: ignore[no-untyped-def]
    return execute_calls([ToolCall(name=name, arguments=dict(arguments))], registry, limits)[0]


def test_registry_introspects_signatures_and_docstrings(registry: ToolRegistry) -> None:
    add = registry.get("add")
    assert add is not None and add.kind == "python" and add.target.endswith(":add")
    assert add.tool.required == ["a", "b"]
    assert add.tool.properties["a"] == {"type": "integer", "description": "First addend."}
    convert = registry.get("convert")
    assert convert is not None
    assert convert.tool.properties["unit"]["enum"] == ["km", "mi"]
    assert "unit" not in convert.tool.required and convert.tool.properties["unit"]["default"] == "km"


def test_registry_jsonl_round_trip(registry: ToolRegistry, tmp_path: Path) -> None:
    registry.to_jsonl(str(tmp_path / "tools.jsonl"))
    again = ToolRegistry.from_jsonl(str(tmp_path / "tools.jsonl"))
    assert again.names() == registry.names()
    assert [t.model_dump() for t in again] == [t.model_dump() for t in registry]
    with pytest.raises(ValueError, match="already registered"):
        again.add(next(iter(registry)))
    with pytest.raises(ValueError, match="target"):
        ExecutableTool(tool=next(iter(registry)).tool, kind="python", target="not a target")


def test_batch_of_calls_one_process_and_classification(registry: ToolRegistry) -> None:
    calls = [
        ToolCall(name="add", arguments={"a": 2, "b": 3}),
        ToolCall(name="divide", arguments={"a": 1, "b": 0}),
        ToolCall(name="add", arguments={"a": 1}),
        ToolCall(name="no_such_tool"),
        ToolCall(name="crash"),
        ToolCall(name="convert", arguments={"value": 1.609344, "unit": "km"}),
    ]
    results = execute_calls(calls, registry, FAST)
    assert results[0].ok and results[0].value == 5
    assert results[1].error_class == "exception:ZeroDivisionError"
    assert results[2].error_class == "exception:TypeError" and "missing" in results[2].message
    assert results[3].error_class == "undefined_tool"
    assert results[4].error_class == "crash:exit 3"
    # The batch continues in a fresh child after the crash.
    assert results[5].ok and results[5].value == {"mi": pytest.approx(1.0)}


def test_wall_timeout_kills_the_call(registry: ToolRegistry) -> None:
    result = run(registry, "sleepy", SandboxLimits(wall_seconds=0.5, cpu_seconds=0), seconds=30)
    assert result.error_class == "timeout"
    assert 0.4 < result.seconds < 5


def test_cpu_limit(registry: ToolRegistry) -> None:
    result = run(registry, "spin", SandboxLimits(wall_seconds=30, cpu_seconds=1), n=1)
    assert result.error_class == "cpu"


def test_memory_limit(registry: ToolRegistry) -> None:
    assert run(registry, "hog", megabytes=2048).error_class == "memory"
    assert run(registry, "hog", megabytes=16).value == 16 * 1024 * 1024


@pytest.mark.parametrize("tool", ["fetch", "raw_socket"])
def test_network_denied(registry: ToolRegistry, tool: str) -> None:
    result = run(registry, tool, host="93.184.216.34")
    assert result.error_class == "network_denied"


def test_writes_outside_temp_dir_denied(registry: ToolRegistry, tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    result = run(registry, "write_file", path=str(target), text="x")
    assert result.error_class == "filesystem_denied"
    assert not target.exists()
    inside = run(registry, "write_file", path="scratch.txt", text="hello")
    assert inside.ok and inside.value == 5
    assert not (Path(os.getcwd()) / "scratch.txt").exists()


def test_results_are_json_safe(registry: ToolRegistry) -> None:
    shout = run(registry, "shout", text="ba")
    assert shout.ok and shout.lossy
    assert shout.value["pair"] == [1, 2] and shout.value["letters"] == ["a", "b"]
    assert shout.value["when"] == "2024-01-02" and shout.value["obj"].startswith("<object object")
    assert "printing" in shout.stdout
    stats = run(
        registry,
        "numpy_stats",
        SandboxLimits(wall_seconds=20, cpu_seconds=0, memory_mb=2048),
        values=[1.0, 2.0],
    )
    assert stats.ok and not stats.lossy
    assert stats.value == {"mean": 1.5, "doubled": [2.0, 4.0], "n": 2}


def test_unloadable_target_is_not_executable(registry: ToolRegistry) -> None:
    broken = ToolRegistry(
        [
            ExecutableTool(
                tool=registry.get("add").tool,
                kind="python",  # type: ignore[union-attr]
                target="xlam_no_such_module:add",
            )
        ]
    )
    result = execute_calls([ToolCall(name="add", arguments={"a": 1, "b": 2})], broken, FAST)[0]
    assert result.error_class == "not_executable" and "ModuleNotFoundError" in result.message


def test_rest_tool_reaches_only_allow_listed_hosts(registry: ToolRegistry) -> None:
    import json as jsonlib
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from xlam.records import Tool

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = jsonlib.dumps({"path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        rest = ToolRegistry(
            [
                ExecutableTool(
                    tool=Tool(
                        name="lookup", parameters={"type": "object", "properties": {"q": {"type": "string"}}}
                    ),
                    kind="rest",
                    endpoint={"method": "GET", "base_url": base, "path": "/search", "query_params": ["q"]},
                )
            ]
        )
        call = [ToolCall(name="lookup", arguments={"q": "lisbon"})]
        allowed = execute_calls(
            call, rest, SandboxLimits(wall_seconds=20, cpu_seconds=0, allow_hosts=[base])
        )[0]
        assert allowed.ok, allowed.message
        assert allowed.value == {"path": "/search?q=lisbon"}
        denied = execute_calls(call, rest, SandboxLimits(wall_seconds=20, cpu_seconds=0))[0]
        assert denied.error_class == "network_denied"
        other = execute_calls(
            call, rest, SandboxLimits(wall_seconds=20, cpu_seconds=0, allow_hosts=["http://10.0.0.1:9"])
        )[0]
        assert other.error_class == "network_denied"
    finally:
        server.shutdown()
