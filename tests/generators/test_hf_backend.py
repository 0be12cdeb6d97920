"""The hf backend: real generation with the packaged SmolLM2-135M-Instruct."""

from __future__ import annotations

import pytest

from xlam.generators import ChatRequest
from xlam.generators.hf_backend import HFGenerator
from xlam.records import Message, Tool, ToolCall

pytestmark = pytest.mark.slow

WEATHER = Tool.from_openai({
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
})


def test_batched_greedy_generation(smol_generator: HFGenerator) -> None:
    reqs = [
        ChatRequest.from_prompt("What is the capital of France? Answer in one word.", max_tokens=8),
        ChatRequest.from_prompt("Write the numbers from one to five.", max_tokens=12),
        ChatRequest.from_prompt("Say hello.", max_tokens=6),
    ]
    out = smol_generator.generate(reqs)
    assert len(out) == 3
    assert "paris" in out[0].text.lower()
    for req, resp in zip(reqs, out, strict=True):
        assert resp.text and resp.model == "SmolLM2-135M-Instruct"
        assert 0 < resp.usage.completion_tokens <= req.max_tokens
        assert resp.finish_reason in ("stop", "length")
    # greedy decoding is deterministic, also for a request decoded alone
    again = smol_generator.generate([reqs[0]])
    assert again[0].text == out[0].text


def test_tools_go_into_the_prompt_when_the_template_ignores_them(smol_generator: HFGenerator) -> None:
    assert smol_generator.native_tools is False  # SmolLM2's chat template has no tools support
    req = ChatRequest(
        messages=[
            Message(role="system", content="You are a weather bot."),
            Message(role="user", content="Weather in Paris?"),
            Message(role="assistant", tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})]),
            Message(role="tool", name="get_weather", content='{"temp_c": 21}'),
        ],
        tools=[WEATHER],
        max_tokens=16,
    )
    prompt = smol_generator.render(req)
    assert prompt.index("You are a weather bot.") < prompt.index('"get_weather"')
    assert '"city": "Paris"' in prompt and "temp_c" in prompt
    [resp] = smol_generator.generate([req])
    assert resp.usage.prompt_tokens > 50 and resp.usage.completion_tokens > 0


def test_stop_strings(smol_generator: HFGenerator) -> None:
    [resp] = smol_generator.generate(
        [ChatRequest.from_prompt("List three fruits, one per line.", max_tokens=24, stop=["\n"])]
    )
    assert "\n" not in resp.text and resp.finish_reason == "stop"


def test_checkpoint_directories_load_like_trained_models(smol_generator: HFGenerator) -> None:
    """The de-quantised GGUF cache is a plain HF checkpoint dir: the path a trained model's export takes."""
    from xlam.assets import smollm2_gguf
    from xlam.generators import GeneratorConfig
    from xlam.generators.hf_loading import _gguf_cache_dir, resolve_model

    checkpoint = _gguf_cache_dir(smollm2_gguf())
    assert (checkpoint / "config.json").is_file() and (checkpoint / "model.safetensors").is_file()
    assert resolve_model(str(checkpoint))[1] is None  # no gguf_file: a regular checkpoint
    gen = HFGenerator(GeneratorConfig(backend="hf", model=str(checkpoint)))
    req = ChatRequest.from_prompt("What is the capital of France? Answer in one word.", max_tokens=4)
    assert gen.generate([req])[0].text == smol_generator.generate([req])[0].text
