"""Build a generator from its config."""

from __future__ import annotations

from xlam.generators.base import Generator
from xlam.generators.config import GeneratorConfig


def create_generator(config: GeneratorConfig | None = None) -> Generator:
    """The backend ``config.backend`` names (``template`` when ``config`` is None).

    Heavy libraries (torch, transformers) are imported only for the ``hf`` backend.
    """
    config = config or GeneratorConfig()
    if config.backend == "template":
        from xlam.generators.template_backend import TemplateGenerator

        return TemplateGenerator(config)
    if config.backend == "openai":
        from xlam.generators.openai_backend import OpenAIGenerator

        return OpenAIGenerator(config)
    if config.backend == "hf":
        from xlam.generators.hf_backend import HFGenerator

        return HFGenerator(config)
    raise ValueError(f"unknown generator backend {config.backend!r}")
