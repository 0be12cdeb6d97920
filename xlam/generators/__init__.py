"""LLM generator backends behind one interface: ``template`` (deterministic, no model), ``hf``
(local transformers model, SmolLM2 by default) and ``openai`` (any OpenAI-compatible endpoint).

    from xlam.generators import ChatRequest, GeneratorConfig, create_generator
    gen = create_generator(GeneratorConfig(backend="hf"))
    [resp] = gen.generate([ChatRequest.from_prompt("Say hi", max_tokens=8)])
"""

from xlam.generators.base import (
    ChatRequest,
    ChatResponse,
    Generator,
    GeneratorError,
    Usage,
    run_coroutine_sync,
)
from xlam.generators.config import Backend, GeneratorConfig
from xlam.generators.factory import create_generator
from xlam.generators.parsing import decode_tool_calls
from xlam.generators.template_backend import TEMPLATES, TemplateGenerator, paraphrase, register_template

__all__ = [
    "TEMPLATES",
    "Backend",
    "ChatRequest",
    "ChatResponse",
    "Generator",
    "GeneratorConfig",
    "GeneratorError",
    "TemplateGenerator",
    "Usage",
    "create_generator",
    "decode_tool_calls",
    "paraphrase",
    "register_template",
    "run_coroutine_sync",
]
