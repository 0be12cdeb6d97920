"""``xlam generate chat``: one chat request through any generator backend (a quick check)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

generate_app = typer.Typer(help="Talk to generator backends (template, hf, openai).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(generate_app, name="generate")


@generate_app.command("chat")
def chat_cmd(
    prompt: Annotated[str, typer.Option("--prompt", "-p", help="User message.")],
    backend: Annotated[str, typer.Option("--backend", help="template, hf or openai.")] = "template",
    model: Annotated[str | None, typer.Option("--model", help="hf: smol/gemma3/path; openai: model name.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="openai: endpoint, e.g. http://host:8000/v1.")] = None,
    api_key_env: Annotated[str, typer.Option("--api-key-env", help="openai: env var holding the API key.")] = "OPENAI_API_KEY",
    system: Annotated[str | None, typer.Option("--system", help="System message.")] = None,
    tools: Annotated[Path | None, typer.Option("--tools", help="JSON file: a list of tools (OpenAI or BFCL form).")] = None,
    template: Annotated[str, typer.Option("--template", help="template backend: responder name.")] = "echo",
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 128,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.0,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full response as JSON.")] = False,
) -> None:
    """Send one prompt and print the reply (and parsed tool calls)."""
    import orjson
    from pydantic import ValidationError

    from xlam.generators import ChatRequest, GeneratorConfig, GeneratorError, create_generator
    from xlam.records import Tool

    try:
        cfg = GeneratorConfig.model_validate({"backend": backend, "model": model, "base_url": base_url,
                                              "api_key_env": api_key_env, "template": template})
        tool_list = []
        if tools is not None:
            raw = orjson.loads(tools.read_bytes())
            for spec in raw if isinstance(raw, list) else [raw]:
                params = (spec.get("function", spec).get("parameters") or {})
                tool_list.append(Tool.from_bfcl(spec) if params.get("type") == "dict" else Tool.from_openai(spec))
        request = ChatRequest.from_prompt(prompt, system=system, tools=tool_list, max_tokens=max_tokens,
                                          temperature=temperature, seed=seed)
        with create_generator(cfg) as gen:
            [response] = gen.generate([request])
    except (ValidationError, GeneratorError, ValueError, OSError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    typer.echo(response.text)
    for call in response.tool_calls:
        typer.echo(f"-> {call.name}({orjson.dumps(call.arguments).decode()})")
