"""Fixtures: the packaged SmolLM2 loaded once, and `xlam serve` subprocesses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.generators.servers import run_in_thread, xlam_serve


@pytest.fixture(scope="session")
def smol_generator():  # type: ignore[no-untyped-def]
    """The hf backend over SmolLM2-135M-Instruct (also fills the de-quantised weights cache,
    so the server subprocess below loads in seconds)."""
    from xlam.generators import GeneratorConfig, create_generator

    return create_generator(GeneratorConfig(backend="hf", batch_size=4))


@pytest.fixture(scope="session")
def smol_server(smol_generator: object) -> Iterator[str]:
    """`xlam serve --model smol` on a free local port (base URL ending in /v1)."""
    with xlam_serve("--model", "smol", "--batch-size", "4") as url:
        yield url


@pytest.fixture(scope="session")
def template_server() -> Iterator[str]:
    """The serve app over the deterministic template backend (echo), in-process."""
    from services.inference import create_app
    from xlam.generators import GeneratorConfig, create_generator

    app = create_app(create_generator(GeneratorConfig(template="echo")), model_name="echo")
    with run_in_thread(app) as url:
        yield url
