"""Tool harvesting, the built-in catalog (every tool executes), user modules, OpenAPI/REST tools."""

from __future__ import annotations

import enum
import json
import random
import textwrap
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Literal

import jsonschema
import pytest

from tests.synthesis.chat_server import serve
from xlam.records import ToolCall
from xlam.synthesis.values import sample_arguments
from xlam.tools import SandboxLimits, ToolRegistry, execute_calls
from xlam.tools.harvest import categories, default_registry, registry_from_module, tool_from_callable
from xlam.tools.openapi import OpenAPIError, allow_list_for, registry_from_openapi
from xlam.tools.rest import NetworkDenied, invoke, is_allowed


def test_default_registry_has_150_executable_tools_that_all_run() -> None:
    registry = default_registry()
    groups = categories(registry)
    assert len(registry) >= 150
    assert len(groups) >= 10 and all(len(v) >= 8 for v in groups.values())
    rng = random.Random(7)
    calls = []
    for tool in registry:
        assert tool.tool.description and tool.kind == "python"
        for prop in tool.tool.properties.values():
            assert prop.get("description"), f"{tool.name}: parameter without description"
        args = sample_arguments(tool.tool.parameters, rng, optional_rate=0.5)
        jsonschema.validate(args, tool.tool.parameters)
        calls.append(ToolCall(name=tool.name, arguments=args))
    results = execute_calls(calls, registry, SandboxLimits(wall_seconds=10, cpu_seconds=5))
    failures = [(c.name, c.arguments, r.error_class, r.message) for c, r in zip(calls, results, strict=True) if not r.ok]
    assert not failures
    by_name = {c.name: r.value for c, r in zip(calls, results, strict=True)}
    assert isinstance(by_name["day_of_week"], str)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def google_style(city: str, days: int = 3, units: Literal["metric", "imperial"] = "metric",
                 tags: list[str] | None = None, color: Color = Color.RED) -> dict[str, object]:
    """Forecast the weather for a city.

    Longer explanation that is not the summary.

    Args:
        city: The city to forecast,
            continued on a second line.
        days: How many days ahead.
        units: Unit system of the temperatures.
        tags: Optional labels.
        color: Favourite color.

    Returns:
        The forecast.
    """
    return {}


def numpy_style(x: float, y: float = 1.5) -> float:
    """Add two numbers.

    Parameters
    ----------
    x : float
        The first addend.
    y : float, optional
        The second addend.
    """
    return x + y


def rest_style(text, count=2):  # type: ignore[no-untyped-def]
    """Repeat a text.

    :param text: The text to repeat.
    :param count: How many times.
    """
    return text * count


def test_tool_from_callable_reads_annotations_and_docstring_styles() -> None:
    tool = tool_from_callable(google_style)
    assert tool.description.startswith("Forecast the weather for a city.")
    props = tool.properties
    assert tool.required == ["city"]
    assert props["city"] == {"type": "string", "description": "The city to forecast, continued on a second line."}
    assert props["days"]["type"] == "integer" and props["days"]["default"] == 3
    assert props["units"]["enum"] == ["metric", "imperial"]
    assert props["tags"]["type"] == "array" and props["tags"]["items"] == {"type": "string"}
    assert props["color"]["enum"] == ["red", "blue"] and props["color"]["default"] == "red"
    assert tool.returns is not None and tool.returns["type"] == "object"

    numpy_tool = tool_from_callable(numpy_style)
    assert numpy_tool.properties["x"] == {"type": "number", "description": "The first addend."}
    assert numpy_tool.properties["y"]["default"] == 1.5 and numpy_tool.required == ["x"]

    rest_tool = tool_from_callable(rest_style)
    assert rest_tool.properties["text"] == {"type": "string", "description": "The text to repeat."}
    assert rest_tool.properties["count"]["type"] == "integer"


def test_user_module_registers_and_executes(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "my_shop_tools.py").write_text(textwrap.dedent('''
        """Shop tools."""
        from typing import Literal

        CATEGORY = "shop"

        def price_with_vat(amount: float, country: Literal["FR", "DE"] = "FR") -> float:
            """Add VAT to a net price.

            Args:
                amount: Net price in euros.
                country: Country whose VAT rate applies.
            """
            return round(amount * (1.2 if country == "FR" else 1.19), 2)

        def _private(x: int) -> int:
            return x

        def untyped(x):
            return x
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = registry_from_module("my_shop_tools")
    assert registry.names() == ["price_with_vat"]
    assert registry.get("price_with_vat").category == "shop"  # type: ignore[union-attr]
    [result] = execute_calls([ToolCall(name="price_with_vat", arguments={"amount": 100, "country": "DE"})], registry)
    assert result.ok and result.value == 119.0
    path = tmp_path / "registry.jsonl"
    registry.to_jsonl(str(path))
    assert ToolRegistry.from_jsonl(str(path)).names() == ["price_with_vat"]


class _Api(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(self.path)
        if parts.path.startswith("/api/weather/"):
            city = parts.path.rsplit("/", 1)[-1]
            units = parse_qs(parts.query).get("units", ["metric"])[0]
            self._send(200, {"city": city, "temp": 21 if units == "metric" else 70, "units": units})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        data = json.loads(self.rfile.read(length) or b"{}")
        self._send(201, {"id": 7, "title": data.get("title"), "done": data.get("done", False)})


@pytest.fixture()
def api_server() -> Iterator[str]:
    with serve(_Api, "/api") as url:
        yield url


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Demo API", "version": "1"},
    "servers": [{"url": "http://example.invalid/api"}],
    "paths": {
        "/weather/{city}": {"get": {
            "operationId": "get_weather", "summary": "Current weather in a city.",
            "parameters": [
                {"name": "city", "in": "path", "required": True, "schema": {"type": "string"},
                 "description": "City name."},
                {"name": "units", "in": "query", "schema": {"$ref": "#/components/schemas/Units"}},
            ]}},
        "/todos": {"post": {
            "operationId": "create_todo", "summary": "Create a to-do item.",
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "required": ["title"],
                "properties": {"title": {"type": "string", "example": "Buy milk"}, "done": {"type": "boolean"}}}}}}}},
    },
    "components": {"schemas": {"Units": {"type": "string", "enum": ["metric", "imperial"], "default": "metric"}}},
}


def test_openapi_tools_execute_against_local_server_only_when_allow_listed(api_server: str) -> None:
    registry = registry_from_openapi(OPENAPI, base_url=api_server)
    weather = registry.get("get_weather")
    assert weather is not None and weather.kind == "rest"
    assert weather.tool.properties["units"]["enum"] == ["metric", "imperial"]
    assert weather.tool.required == ["city"]
    assert registry.get("create_todo").tool.required == ["title"]  # type: ignore[union-attr]
    allow = allow_list_for(registry)
    assert allow == [api_server]
    limits = SandboxLimits(allow_hosts=["127.0.0.1", *allow])
    calls = [ToolCall(name="get_weather", arguments={"city": "Paris", "units": "imperial"}),
             ToolCall(name="create_todo", arguments={"title": "Buy milk", "done": True})]
    results = execute_calls(calls, registry, limits)
    assert [r.ok for r in results] == [True, True], [r.message for r in results]
    assert results[0].value == {"city": "Paris", "temp": 70, "units": "imperial"}
    assert results[1].value == {"id": 7, "title": "Buy milk", "done": True}

    # Same host, other path prefix: refused before any request is sent.
    endpoint = {**weather.endpoint, "base_url": api_server.rsplit("/api", 1)[0] + "/admin"}  # type: ignore[dict-item]
    with pytest.raises(NetworkDenied):
        invoke(endpoint, {"city": "Paris"}, allow)
    with pytest.raises(NetworkDenied):
        invoke({**weather.endpoint, "base_url": "http://10.1.2.3/api"}, {"city": "Paris"}, allow)  # type: ignore[dict-item]
    # Inside the sandbox without an allow list the REST call is denied as well.
    [denied] = execute_calls(calls[:1], registry, SandboxLimits())
    assert not denied.ok and denied.error_class in ("network_denied", "exception:NetworkDenied")


def test_allow_list_matching_rules() -> None:
    assert is_allowed("http://127.0.0.1:8000/api/x", ["http://127.0.0.1:8000/api"])
    assert not is_allowed("http://127.0.0.1:8000/apix", ["http://127.0.0.1:8000/api"])
    assert not is_allowed("http://127.0.0.1:9000/api/x", ["http://127.0.0.1:8000/api"])
    assert not is_allowed("https://127.0.0.1:8000/api/x", ["http://127.0.0.1:8000/api"])
    assert is_allowed("https://api.example.com/v1", ["api.example.com"])
    assert not is_allowed("file:///etc/passwd", ["api.example.com"])
    with pytest.raises(OpenAPIError):
        registry_from_openapi({"swagger": "2.0"})


def test_synthesis_from_openapi_executes_rest_calls(api_server: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from xlam.datasets import read_records
    from xlam.synthesis import SynthesisConfig, run_synthesis

    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(OPENAPI))
    report = run_synthesis(str(spec), str(tmp_path / "out"),
                           SynthesisConfig(n=6, styles=["simple", "parallel"], base_url=api_server))
    assert report.output_records == 6
    for record in read_records(str(tmp_path / "out")):
        assert "execution" in record.provenance.checks
        for call, observation in zip(record.steps[0].tool_calls, record.steps[0].observations, strict=True):
            if call.name == "get_weather":
                assert observation["city"] == call.arguments["city"]
            else:
                assert observation["title"] == call.arguments["title"]
