"""`xlam serve`: the OpenAI-compatible server, tested through the openai backend and raw HTTP."""

from __future__ import annotations

import httpx
import orjson
import pytest

from xlam.generators import ChatRequest, GeneratorConfig, create_generator
from xlam.records import Tool

WEATHER = Tool.from_openai({
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
})


@pytest.mark.slow
def test_openai_backend_against_served_smollm2(smol_server: str) -> None:
    models = httpx.get(f"{smol_server}/models").json()
    assert models["data"][0]["id"] == "SmolLM2-135M-Instruct"
    # CPU generation on a shared machine can be slow: one long timeout, no retries (a retry only adds load)
    gen = create_generator(GeneratorConfig(backend="openai", base_url=smol_server, model="SmolLM2-135M-Instruct",
                                           max_concurrency=4, timeout_s=600, max_retries=0))
    reqs = [ChatRequest.from_prompt("What is the capital of France? One word.", max_tokens=8),
            ChatRequest.from_prompt("What is the weather in Paris?", tools=[WEATHER], max_tokens=24),
            ChatRequest.from_prompt("Say hi.", max_tokens=6)]
    out = gen.generate(reqs)
    assert "paris" in out[0].text.lower()
    for resp in out:
        assert resp.ok and resp.usage.completion_tokens > 0
        assert resp.text or resp.tool_calls


def test_tool_calls_are_parsed_from_model_text(template_server: str) -> None:
    gen = create_generator(GeneratorConfig(backend="openai", base_url=template_server, model="echo"))
    # the echo model repeats the user text; the server decodes it into OpenAI tool_calls
    calls_text = '[{"name": "get_weather", "arguments": {"city": "Paris"}}]'
    [with_tools, no_tools] = gen.generate([
        ChatRequest.from_prompt(calls_text, tools=[WEATHER]),
        ChatRequest.from_prompt("plain text answer", tools=[WEATHER]),
    ])
    assert [(c.name, c.arguments) for c in with_tools.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert with_tools.finish_reason == "tool_calls"
    assert no_tools.tool_calls == [] and no_tools.text == "plain text answer"
    raw = httpx.post(f"{template_server}/chat/completions", json={
        "messages": [{"role": "user", "content": calls_text}], "tools": [WEATHER.to_openai()]}).json()
    message = raw["choices"][0]["message"]
    assert message["content"] is None
    assert orjson.loads(message["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    none = httpx.post(f"{template_server}/chat/completions", json={
        "messages": [{"role": "user", "content": calls_text}], "tools": [WEATHER.to_openai()],
        "tool_choice": "none"}).json()
    assert "tool_calls" not in none["choices"][0]["message"]


def test_errors_health_metrics_and_streaming(template_server: str) -> None:
    base = template_server.removesuffix("/v1")
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok", "model": "echo"}
    bad = httpx.post(f"{template_server}/chat/completions", json={"messages": []})
    assert bad.status_code == 400 and "messages" in bad.json()["error"]["message"]
    wrong = httpx.post(f"{template_server}/chat/completions",
                       json={"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]})
    assert wrong.status_code == 404
    with httpx.stream("POST", f"{template_server}/chat/completions",
                      json={"messages": [{"role": "user", "content": "streamed"}], "stream": True}) as resp:
        events = [line[6:] for line in resp.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert orjson.loads(events[0])["choices"][0]["delta"]["content"] == "streamed"
    metrics = httpx.get(f"{base}/metrics").text
    assert 'xlam_serve_requests_total{outcome="ok"}' in metrics


def test_concurrent_requests_are_batched(template_server: str) -> None:
    gen = create_generator(GeneratorConfig(backend="openai", base_url=template_server, max_concurrency=16))
    out = gen.generate([ChatRequest.from_prompt(f"q{i}") for i in range(16)])
    assert [r.text for r in out] == [f"q{i}" for i in range(16)]
