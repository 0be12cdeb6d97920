"""Building generation requests for BFCL entries and resolving the model to a generator."""

from __future__ import annotations

from typing import Any

from xlam.bfcl.prompts import entry_messages, native_tools, prompt_mode_messages
from xlam.evaluation.config import EvalConfig
from xlam.generators import ChatRequest, Generator, GeneratorConfig, create_generator
from xlam.generators.hf_backend import CALL_BIAS, STOP_AT_CALL_LIST
from xlam.records import Tool


def resolve_generator_config(config: EvalConfig) -> GeneratorConfig:
    """The generator config with ``model`` resolved (recipe names -> their packaged weights)."""
    gen = config.generator
    model = config.model
    if gen.backend == "hf":
        try:
            from xlam.training.recipes import RECIPES
        except ImportError:  # training extras not installed
            RECIPES = {}
        recipe = RECIPES.get(model)
        if recipe is not None:
            packaged = {"smollm2_gguf": "smol", "gemma3_gguf": "gemma3"}  # recipe weights -> hf model alias
            if recipe.weights not in packaged:
                raise ValueError(
                    f"recipe {model!r} has no pretrained weights ({recipe.weights}); evaluate a trained checkpoint "
                    "directory instead (TrainResult.hf_export_dir)"
                )
            model = packaged[recipe.weights]
        tool_prompt = "prompt" if config.prompt_mode == "prompt" else "auto"
        return gen.model_copy(update={"model": model, "tool_prompt": tool_prompt})
    return gen.model_copy(update={"model": gen.model or model})


def make_generator(config: EvalConfig) -> Generator:
    return create_generator(resolve_generator_config(config))


def _api_safe(tool: Tool) -> Tool:
    return tool.model_copy(update={"name": tool.name.replace(".", "_")})


def build_request(entry: dict[str, Any], category: str, config: EvalConfig) -> ChatRequest:
    """Prompt mode: BFCL's system prompt and no tools (generation stops at a complete call list);
    native mode: the functions as tools."""
    if config.prompt_mode == "prompt":
        # BFCL's prompt-mode answer is one Python call list: stop generating once it is complete
        # (the hf backend honours this hint; other backends ignore it).
        metadata: dict[str, Any] = {"stop_at": STOP_AT_CALL_LIST}
        if config.call_bias:
            metadata[CALL_BIAS] = config.call_bias
        return ChatRequest(messages=prompt_mode_messages(entry, category), max_tokens=config.max_tokens, temperature=0.0,
                           metadata=metadata)
    tools = native_tools(entry, category)
    if config.underscore_to_dot:
        tools = [_api_safe(t) for t in tools]
    return ChatRequest(messages=entry_messages(entry), tools=tools, max_tokens=config.max_tokens, temperature=0.0)
