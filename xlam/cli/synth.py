"""``xlam data synthesize | preference | import-chat | tools``: APIGen-style synthesis, DPO pairs,
general chat import and the tool catalog.

Bad input exits with code 2 and prints where and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from xlam.cli.errors import bad_input_exits, read_config_file
from xlam.cli.groups import data_app

if TYPE_CHECKING:
    from xlam.generators import GeneratorConfig


def generator_from_flags(fields: dict[str, Any], backend: str, seed: int, model: str | None,
                         base_url: str | None) -> GeneratorConfig:
    """The config file's ``generator`` section overridden by the command-line flags."""
    from xlam.generators import GeneratorConfig

    gen = dict(fields.get("generator") or {})
    gen.update({"backend": backend, "seed": seed})
    if model:
        gen["model"] = model
    if base_url:
        gen["base_url"] = base_url
    return GeneratorConfig(**gen)


def register(app: typer.Typer) -> None:
    """Commands are attached to ``data_app`` at import time; the multi-turn ones live in ``synth_mt``."""
    from xlam.cli import synth_mt  # noqa: F401  (its commands attach to data_app on import)




def _config_overrides(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    return read_config_file(path)


@data_app.command("synthesize")
def synthesize_cmd(
    out: Annotated[str, typer.Option("--out", help="Output dataset URI of verified samples.")],
    tools: Annotated[str, typer.Option("--tools", help="default | domains | default+domains | module:pkg.mod | openapi.json/.yaml | "
                                                        "registry.jsonl | dataset URI.")] = "default",
    n: Annotated[int, typer.Option("--n", help="Verified samples to produce.")] = 100,
    generator: Annotated[str, typer.Option("--generator", help="template | hf | openai.")] = "template",
    model: Annotated[str | None, typer.Option("--model", help="hf: smol/.gguf/checkpoint; openai: model name.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="openai: endpoint, e.g. http://host:8000/v1.")]
    = None,
    styles: Annotated[str, typer.Option("--styles", help="Comma-separated: simple,multiple,parallel,"
                                                          "parallel_multiple,irrelevance,missing_parameter.")] = "",
    rejects: Annotated[str | None, typer.Option("--rejects", help="Dataset URI for rejected samples.")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    report: Annotated[str | None, typer.Option("--report", help="Directory for the report (JSON, MD, PNG).")] = None,
    api_base_url: Annotated[str | None, typer.Option("--api-base-url", help="OpenAPI tools: override the "
                                                                             "servers[0].url.")] = None,
    allow: Annotated[list[str] | None, typer.Option("--allow", help="REST base URL allowed (repeatable).")] = None,
    config: Annotated[str | None, typer.Option("--config", help="JSON/YAML file of SynthesisConfig fields.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output datasets.")] = False,
) -> None:
    """Synthesize verified function-calling samples (format -> execution -> semantic checks)."""
    from xlam.synthesis import SynthesisConfig, pass_rate_table, run_synthesis

    with bad_input_exits():
        fields = _config_overrides(config)
        fields.update({"n": n, "seed": seed, "tools": tools})
        if styles:
            fields["styles"] = [s.strip() for s in styles.split(",") if s.strip()]
        fields["generator"] = generator_from_flags(fields, generator, seed, model, base_url)
        if api_base_url:
            fields["base_url"] = api_base_url
        if allow:
            fields["rest_allow_list"] = list(allow)
        cfg = SynthesisConfig(**fields)
        result = run_synthesis(None, out, cfg, rejects_uri=rejects, report_dir=report, overwrite=overwrite)
    typer.echo(pass_rate_table(result))
    typer.echo(f"wrote {result.output_records} verified samples to {out} ({result.seconds:.1f}s)")


@data_app.command("preference")
def preference_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Dataset URI(s) of verified records.")],
    out: Annotated[str, typer.Option("--out", help="Output dataset URI of preference pairs.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    pairs_per_record: Annotated[int, typer.Option("--pairs-per-record")] = 1,
    kinds: Annotated[str, typer.Option("--kinds", help="Comma-separated corruption kinds (default all).")] = "",
    weak_generator: Annotated[str | None, typer.Option("--weak-generator", help="hf | openai: a weaker model whose "
                                                                                "failed answers become rejected.")] = None,
    weak_model: Annotated[str | None, typer.Option("--weak-model")] = None,
    weak_base_url: Annotated[str | None, typer.Option("--weak-base-url")] = None,
    weak_limit: Annotated[int | None, typer.Option("--weak-limit")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Directory for the report.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> None:
    """Build DPO pairs: verified chosen answers vs. labelled corruptions (and weak-model failures)."""
    from xlam.generators import GeneratorConfig
    from xlam.preference import PreferenceConfig, run_preference

    with bad_input_exits():
        fields: dict[str, Any] = {"seed": seed, "pairs_per_record": pairs_per_record, "weak_limit": weak_limit}
        if kinds:
            fields["kinds"] = [k.strip() for k in kinds.split(",") if k.strip()]
        if weak_generator:
            fields["weak_generator"] = GeneratorConfig(backend=weak_generator, model=weak_model,
                                                       base_url=weak_base_url)
        result = run_preference(inputs, out, PreferenceConfig(**fields), report_dir=report, overwrite=overwrite)
    typer.echo(result.to_markdown())


@data_app.command("import-chat")
def import_chat_cmd(
    inputs: Annotated[list[str], typer.Argument(help="JSON/JSONL files of OpenAI or ShareGPT chats.")],
    out: Annotated[str, typer.Option("--out", help="Output dataset URI of CHAT records.")],
    rejects: Annotated[str | None, typer.Option("--rejects", help="Dataset URI for filtered rows.")] = None,
    max_repetition: Annotated[float, typer.Option("--max-repetition")] = 0.3,
    min_chars: Annotated[int, typer.Option("--min-chars")] = 20,
    max_chars: Annotated[int, typer.Option("--max-chars")] = 32_000,
    on_error: Annotated[str, typer.Option("--on-error", help="fail | skip malformed rows.")] = "skip",
    report: Annotated[str | None, typer.Option("--report")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> None:
    """Import general chat SFT data (no tools) with repetition, length and empty-turn filters."""
    from xlam.general import ChatImportConfig, run_import_chat

    with bad_input_exits():
        cfg = ChatImportConfig(max_repetition=max_repetition, min_chars=min_chars, max_chars=max_chars,
                               on_error=on_error)
        result = run_import_chat(inputs, out, cfg, rejects_uri=rejects, report_dir=report, overwrite=overwrite)
    typer.echo(result.to_markdown())


@data_app.command("tools")
def tools_cmd(
    tools: Annotated[str, typer.Option("--tools", help="default | domains | default+domains | module:pkg.mod | openapi file | registry.jsonl.")]
    = "default",
    export: Annotated[str | None, typer.Option("--export", help="Write the registry as JSONL here.")] = None,
) -> None:
    """List a tool library by category (and export it as a registry JSONL)."""
    from xlam.synthesis import load_tool_library

    with bad_input_exits():
        library = load_tool_library(tools)
    for category, entries in sorted(library.by_category.items()):
        typer.echo(f"{category} ({len(entries)}): " + ", ".join(e.name for e in entries))
    typer.echo(f"{len(library)} tools, {len(library.registry)} executable")
    if export:
        library.registry.to_jsonl(export)
        typer.echo(f"wrote {export}")
