"""The openai backend over real HTTP: retries, backoff, timeouts, concurrency and rate limits
against a scripted local upstream."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.generators.servers import ScriptedUpstream, Step, run_in_thread
from xlam.generators import ChatRequest, GeneratorConfig, GeneratorError, create_generator
from xlam.records import Tool


def _config(base_url: str, **kw: object) -> GeneratorConfig:
    defaults: dict[str, object] = {"backend": "openai", "base_url": base_url, "model": "m", "backoff_initial_s": 0.01,
                                   "backoff_max_s": 0.05, "timeout_s": 5.0}
    return GeneratorConfig.model_validate({**defaults, **kw})


def test_retries_429_and_500_then_succeeds() -> None:
    up = ScriptedUpstream([Step(429, headers={"Retry-After": "0"}), Step(500), Step(200)])
    with run_in_thread(up.app) as url:
        gen = create_generator(_config(url, max_retries=3))
        [resp] = gen.generate([ChatRequest.from_prompt("hello")])
    assert resp.ok and resp.text == "re: hello"
    assert up.attempts == 3 and gen.retries == 2  # type: ignore[attr-defined]
    assert resp.usage.prompt_tokens == 3 and resp.usage.total_tokens == 5


def test_retry_after_header_is_honoured() -> None:
    up = ScriptedUpstream([Step(429, headers={"Retry-After": "0.4"}), Step(200)])
    with run_in_thread(up.app) as url:
        create_generator(_config(url, max_retries=2, backoff_max_s=1.0)).generate([ChatRequest.from_prompt("x")])
    assert up.start_times[1] - up.start_times[0] >= 0.38


def test_gives_up_after_max_retries_and_can_return_errors() -> None:
    up = ScriptedUpstream([Step(503)])
    with run_in_thread(up.app) as url:
        with pytest.raises(GeneratorError, match="503"):
            create_generator(_config(url, max_retries=2)).generate([ChatRequest.from_prompt("x")])
        assert up.attempts == 3
        [resp] = create_generator(_config(url, max_retries=0, return_errors=True)).generate(
            [ChatRequest.from_prompt("x")]
        )
    assert resp.finish_reason == "error" and "503" in (resp.error or "")


def test_client_errors_are_not_retried() -> None:
    up = ScriptedUpstream([Step(400)])
    with run_in_thread(up.app) as url, pytest.raises(GeneratorError, match="400"):
        create_generator(_config(url, max_retries=3)).generate([ChatRequest.from_prompt("x")])
    assert up.attempts == 1


def test_concurrency_bound_is_respected() -> None:
    up = ScriptedUpstream([Step(200, delay=0.15)])
    with run_in_thread(up.app) as url:
        gen = create_generator(_config(url, max_concurrency=3))
        out = gen.generate([ChatRequest.from_prompt(f"q{i}") for i in range(12)])
    assert [r.text for r in out] == [f"re: q{i}" for i in range(12)]  # order kept
    assert up.max_in_flight == 3


def test_timeout_is_enforced_and_retried() -> None:
    up = ScriptedUpstream([Step(200, delay=1.2)])
    with run_in_thread(up.app) as url:
        start = time.monotonic()
        with pytest.raises(GeneratorError, match="Timeout"):
            create_generator(_config(url, timeout_s=0.3, max_retries=1)).generate([ChatRequest.from_prompt("x")])
        elapsed = time.monotonic() - start
    assert up.attempts == 2 and elapsed < 2.0


def test_rate_limit_spaces_request_starts() -> None:
    up = ScriptedUpstream([Step(200)])
    with run_in_thread(up.app) as url:
        gen = create_generator(_config(url, max_concurrency=8, requests_per_second=20))
        asyncio.run(gen.agenerate([ChatRequest.from_prompt(str(i)) for i in range(9)]))
    starts = sorted(up.start_times)
    assert starts[-1] - starts[0] >= 8 / 20 * 0.9


def test_api_key_from_env_is_sent_but_never_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLAM_TEST_KEY", "sk-test-secret")
    up = ScriptedUpstream([Step(200)])
    cfg = _config("http://127.0.0.1:1/v1", api_key_env="XLAM_TEST_KEY")
    with run_in_thread(up.app) as url:
        cfg = cfg.model_copy(update={"base_url": url})
        gen = create_generator(cfg)
        gen.generate([ChatRequest.from_prompt("x")])
    assert up.auth_headers == ["Bearer sk-test-secret"]
    assert "sk-test-secret" not in cfg.model_dump_json() + gen.describe() + repr(vars(gen))


def test_tools_are_sent_in_openai_format() -> None:
    tool = Tool.from_bfcl({"name": "calc.area", "description": "Area", "parameters": {
        "type": "dict", "properties": {"base": {"type": "integer"}}, "required": ["base"]}})
    up = ScriptedUpstream([Step(200)])
    with run_in_thread(up.app) as url:
        create_generator(_config(url)).generate([ChatRequest.from_prompt("x", tools=[tool], seed=3, stop=["\n"])])
    body = up.bodies[0]
    assert body["tools"] == [{"type": "function", "function": {
        "name": "calc.area", "description": "Area",
        "parameters": {"type": "object", "properties": {"base": {"type": "integer"}}, "required": ["base"]}}}]
    assert body["seed"] == 3 and body["stop"] == ["\n"] and body["model"] == "m"


def test_generate_works_inside_a_running_event_loop() -> None:
    up = ScriptedUpstream([Step(200)])
    with run_in_thread(up.app) as url:
        gen = create_generator(_config(url))

        async def inside() -> str:
            return gen.generate([ChatRequest.from_prompt("loop")])[0].text

        assert asyncio.run(inside()) == "re: loop"
