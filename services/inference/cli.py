"""``xlam serve``: run the OpenAI-compatible server (registered into the ``xlam`` CLI)."""

from __future__ import annotations

import typer


def serve(
    model: str = typer.Option("smol", "--model", help="hf: 'smol', 'gemma3', a .gguf file or a checkpoint directory."),
    backend: str = typer.Option("hf", "--backend", help="Generator backend to serve: hf or template."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    served_name: str = typer.Option("", "--served-model-name", help="Model id clients send (default: the model's name)."),
    device: str = typer.Option("cpu", "--device"),
    dtype: str = typer.Option("float32", "--dtype", help="float32, bfloat16, float16 or auto."),
    batch_size: int = typer.Option(8, "--batch-size", help="Most requests decoded together."),
    max_wait_ms: float = typer.Option(10.0, "--max-wait-ms", help="How long to gather a batch."),
    output_format: str = typer.Option("json_list", "--output-format", help="Tool-call format asked for in prompt mode."),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Serve a model over an OpenAI-compatible /v1/chat/completions API with tool-call parsing."""
    import uvicorn

    from services.inference.app import create_app
    from xlam.generators import GeneratorConfig, create_generator

    if backend not in ("hf", "template"):
        typer.echo(f"error: --backend must be hf or template, got {backend!r}", err=True)
        raise typer.Exit(2)
    config = GeneratorConfig.model_validate(
        {"backend": backend, "model": model if backend == "hf" else None, "device": device, "dtype": dtype,
         "batch_size": batch_size, "output_format": output_format}
    )
    generator = create_generator(config)
    name = served_name or (generator.describe().split(":", 1)[-1])
    app = create_app(generator, model_name=name, max_batch=batch_size, max_wait_s=max_wait_ms / 1000)
    typer.echo(f"serving {name} on http://{host}:{port}/v1", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
