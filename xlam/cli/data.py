"""``xlam data`` commands: unify, pipeline, validate, stats, export, shard, concat, schema and demo.

Bad input exits with code 2 and prints the file, line (record number), field path and reason.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from xlam.cli.errors import bad_input_exits, fail, require_file
from xlam.cli.groups import data_app

T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Commands are attached to ``data_app`` at import time; nothing else to add."""




@contextmanager
def _progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()]
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def _ticking(items: Iterable[T], advance: Callable[[int], None]) -> Iterator[T]:
    for item in items:
        advance(1)
        yield item


@data_app.command("unify")
def unify_cmd(
    source: Annotated[str, typer.Option("--from", help="Source format: apigen, bfcl, openai, sharegpt, toolbench, "
                                                       "react, actionstudio.")],
    out: Annotated[str, typer.Option("--out", help="Output dataset URI (local path, file://, ...).")],
    inputs: Annotated[list[str] | None, typer.Option("--in", help="Input file (repeatable); bfcl: a data "
                                                                  "directory, default the installed package.")] = None,
    on_error: Annotated[str, typer.Option("--on-error", help="fail | skip (skip writes rejects).")] = "fail",
    rejects: Annotated[str | None, typer.Option("--rejects", help="Rejects JSONL URI (default <out>.rejects.jsonl).")]
    = None,
    compression: Annotated[str | None, typer.Option("--compression", help="zstd to compress shards.")] = None,
    shard_size: Annotated[int, typer.Option("--shard-size")] = 50_000,
    category: Annotated[list[str] | None, typer.Option("--category", help="bfcl: categories (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after N records.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing dataset.")] = False,
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help="Write the stage report here.")] = None,
) -> None:
    """Convert source files into a unified dataset."""
    from xlam.converters import UnifyConfig, run_unify

    if on_error not in ("fail", "skip"):
        fail(f"--on-error must be fail or skip, got {on_error!r}")
    if compression not in (None, "zstd"):
        fail(f"--compression must be zstd (or left out), got {compression!r}")
    with bad_input_exits():
        from xlam.converters.registry import get_converter

        get_converter(source)  # an unknown format is reported before the files
    for path in inputs or []:  # local input files: present, a file (bfcl also takes a data directory), not empty
        if "://" not in path and not (source == "bfcl" and Path(path).is_dir()):
            require_file(path)
    with bad_input_exits():
        config = UnifyConfig(on_error=on_error, compression=compression, shard_size=shard_size,
                             categories=category or None, limit=limit, overwrite=overwrite)
        with _progress(f"unify {source}") as advance:
            report = run_unify(source, inputs or [], out, config, rejects_uri=rejects, report_dir=report_dir,
                               progress=advance)
    typer.echo(f"{report.output_records} records -> {out} ({report.seconds:.2f}s)")
    if report.rejected_records:
        typer.echo(f"{report.rejected_records} rejected -> {report.rejects_uri}")


@data_app.command("pipeline")
def pipeline_cmd(
    source: Annotated[str, typer.Option("--from", help="Source format (as for `xlam data unify`).")],
    work: Annotated[Path, typer.Option("--work", help="Work directory: data/<step>/ datasets, reports/<stage>/.")],
    inputs: Annotated[list[str] | None, typer.Option("--in", help="Input file (repeatable); bfcl: a data "
                                                                  "directory, default the installed package.")] = None,
    category: Annotated[list[str] | None, typer.Option("--category", help="bfcl: categories (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Unify at most N records.")] = None,
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Run the verify step.")] = True,
    dedup: Annotated[bool, typer.Option("--dedup/--no-dedup", help="Run the dedup step.")] = True,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the work directory's datasets.")] = False,
) -> None:
    """unify -> verify -> dedup in one go (what a control-plane `data-pipeline` run does, direct engine)."""
    from xlam.converters import UnifyConfig
    from xlam.data_pipeline import run_data_pipeline
    from xlam.dedup import DedupConfig
    from xlam.verify import VerifyConfig

    with bad_input_exits():
        from xlam.converters.registry import get_converter

        get_converter(source)
    for path in inputs or []:
        if "://" not in path and not (source == "bfcl" and Path(path).is_dir()):
            require_file(path)
    with bad_input_exits():
        result = run_data_pipeline(
            source, inputs or [], work, UnifyConfig(categories=category or None, limit=limit, overwrite=overwrite),
            VerifyConfig() if verify else None, DedupConfig() if dedup else None, overwrite=overwrite,
            on_report=lambda r: typer.echo(f"[{r.stage}] {r.input_records} in, {r.output_records} out, "
                                           f"{r.rejected_records} rejected ({r.seconds:.2f}s)"))
    typer.echo(f"{result.reports[-1].output_records} records -> {result.output_uri}")


@data_app.command("validate")
def validate_cmd(uri: Annotated[str, typer.Argument(help="Dataset URI.")]) -> None:
    """Check the manifest, shard checksums and that every record parses."""
    from xlam.datasets import DatasetReader

    with bad_input_exits():
        reader = DatasetReader(uri, verify_checksums=True)
        ids: set[str] = set()
        duplicates = 0
        with _progress("validate", total=len(reader)) as advance:
            for record in reader:
                duplicates += record.id in ids
                ids.add(record.id)
                advance(1)
    typer.echo(f"ok: {len(reader)} records in {len(reader.manifest.shards)} shard(s), checksums match"
               + (f"; {duplicates} duplicate ids" if duplicates else ""))


@data_app.command("stats")
def stats_cmd(
    uri: Annotated[str, typer.Argument(help="Dataset URI.")],
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG panel of charts.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of Markdown.")] = False,
) -> None:
    """Counts by category and source, tools/calls/steps per record, query lengths."""
    import orjson

    from xlam.datasets import DatasetReader
    from xlam.stats import compute_stats

    with bad_input_exits():
        reader = DatasetReader(uri)
        with _progress("stats", total=len(reader)) as advance:
            stats = compute_stats(_ticking(reader, advance))
    if as_json:
        typer.echo(orjson.dumps(stats.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(stats.to_markdown(f"Dataset statistics: {uri}"))
    if plot is not None:
        stats.plot(plot, title=uri)
        typer.echo(f"plot -> {plot}", err=as_json)


@data_app.command("export")
def export_cmd(
    uri: Annotated[str, typer.Argument(help="Dataset URI.")],
    to: Annotated[str, typer.Option("--to", help="openai | actionstudio | apigen | bfcl")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL file (bfcl: the question file; answers go "
                                                    "to possible_answer/ beside it).")],
) -> None:
    """Write a dataset back out in a source format (JSON lines)."""
    from xlam.converters import export_records

    with bad_input_exits():
        count = export_records(uri, to, out)
    typer.echo(f"{count} records -> {out}")


@data_app.command("shard")
def shard_cmd(
    uri: Annotated[str, typer.Argument(help="Dataset URI.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of parts.")],
    out_prefix: Annotated[str, typer.Option("--out-prefix", help="Parts are <prefix>-00000 ...")],
    mode: Annotated[str, typer.Option("--mode", help="round_robin | contiguous")] = "round_robin",
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> None:
    """Split a dataset into N datasets (deterministic)."""
    from xlam.datasets.sharding import split_dataset

    if mode not in ("round_robin", "contiguous"):
        fail(f"--mode must be round_robin or contiguous, got {mode!r}")
    outs = [f"{out_prefix}-{k:05d}" for k in range(n)]
    with bad_input_exits():
        manifests = split_dataset(uri, outs, mode=mode, overwrite=overwrite)  # type: ignore[arg-type]
    for out, manifest in zip(outs, manifests, strict=True):
        typer.echo(f"{manifest.num_records} records -> {out}")


@data_app.command("concat")
def concat_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Input dataset URIs, in order.")],
    out: Annotated[str, typer.Option("--out", help="Output dataset URI.")],
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> None:
    """Concatenate datasets into one."""
    from xlam.datasets.sharding import concat_datasets

    with bad_input_exits():
        manifest = concat_datasets(inputs, out, overwrite=overwrite)
    typer.echo(f"{manifest.num_records} records -> {out}")


@data_app.command("schema")
def schema_cmd(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where to write the JSON Schemas.")] = Path("docs/schemas"),
    check: Annotated[bool, typer.Option("--check", help="Fail (exit 1) if the files there are stale.")] = False,
) -> None:
    """Export the JSON Schema of Record, Tool, Step and the dataset Manifest."""
    from xlam.schemas import stale_schemas, write_schemas

    if check:
        stale = stale_schemas(out_dir)
        if stale:
            typer.secho(f"stale: {', '.join(stale)} (run `xlam data schema`)", fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        typer.echo("schemas are up to date")
        return
    for path in write_schemas(out_dir):
        typer.echo(f"wrote {path}")


@data_app.command("demo")
def demo_cmd(
    out: Annotated[str, typer.Option("--out", help="Output dataset URI.")] = "xlam-demo/bfcl",
    plot: Annotated[Path | None, typer.Option("--plot")] = Path("xlam-demo/bfcl-stats.png"),
) -> None:
    """Unify every single-turn BFCL v4 category from the installed package and print its statistics."""
    from xlam.bfcl.data import SINGLE_TURN_CATEGORIES
    from xlam.converters import UnifyConfig, run_unify
    from xlam.stats import dataset_stats

    config = UnifyConfig(categories=list(SINGLE_TURN_CATEGORIES), overwrite=True)
    with bad_input_exits(), _progress("unify bfcl") as advance:
        report = run_unify("bfcl", [], out, config, progress=advance)
    typer.echo(f"unified {report.output_records} BFCL records -> {out} ({report.seconds:.2f}s)\n")
    stats = dataset_stats(out)
    typer.echo(stats.to_markdown(f"BFCL v4 single-turn: {out}"))
    if plot is not None:
        stats.plot(plot, title="BFCL v4 single-turn categories")
        typer.echo(f"plot -> {plot}")


