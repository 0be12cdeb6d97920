"""``xlam data dedup`` and ``xlam data mix``.

Bad input (missing dataset, invalid record, bad config) exits with code 2 and says where.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from xlam.cli.errors import bad_input_exits, fail, read_config_file
from xlam.cli.groups import data_app


def register(app: typer.Typer) -> None:
    """Commands are attached to ``data_app`` at import time."""




def _yaml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    return read_config_file(path)


@data_app.command("dedup")
def dedup_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Input dataset URIs (read in order; earlier records win).")],
    out: Annotated[str, typer.Option("--out", help="Output dataset URI.")],
    threshold: Annotated[float | None, typer.Option("--threshold", help="Jaccard threshold for near-duplicates.")] = None,
    num_perm: Annotated[int | None, typer.Option("--num-perm", help="MinHash permutations.")] = None,
    shingle: Annotated[str | None, typer.Option("--shingle", help="char or word n-grams.")] = None,
    ngram: Annotated[int | None, typer.Option("--ngram", help="n of the shingles.")] = None,
    exact: Annotated[bool | None, typer.Option("--exact/--no-exact", help="Exact dedup on the content hash.")] = None,
    near: Annotated[bool | None, typer.Option("--near/--no-near", help="Near-duplicate dedup (MinHash LSH).")] = None,
    keep: Annotated[str | None, typer.Option("--keep", help="first or best record of a cluster.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="MinHash seed.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="DedupConfig as YAML (flags override).")] = None,
    rejects: Annotated[str | None, typer.Option("--rejects", help="Write removed records here.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Report directory (JSON, Markdown, clusters).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output datasets.")] = False,
) -> None:
    """Remove exact and near-duplicate records (MinHash LSH over query text + tool names)."""
    from xlam.dedup import DedupConfig, run_dedup

    flags = {"threshold": threshold, "num_perm": num_perm, "shingle": shingle, "ngram": ngram, "exact": exact,
             "near": near, "keep": keep, "seed": seed}
    with bad_input_exits():
        cfg = DedupConfig.model_validate({**_yaml(config), **{k: v for k, v in flags.items() if v is not None}})
        result = run_dedup(inputs, out, cfg, rejects_uri=rejects, report_dir=report, overwrite=overwrite,
                           progress=True)
    typer.echo(result.to_markdown())


@data_app.command("mix")
def mix_cmd(
    config: Annotated[Path, typer.Option("--config", help="MixConfig YAML (sources with weight or epochs).")],
    out: Annotated[str, typer.Option("--out", help="Output dataset URI.")],
    n: Annotated[int | None, typer.Option("--n", help="Records to draw (default: until the stopping rule).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (overrides the config).")] = None,
    temperature: Annotated[float | None, typer.Option("--temperature", help="Sampling temperature.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Report directory.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output dataset.")] = False,
) -> None:
    """Draw a weighted / size x epochs / temperature mixture of datasets into one dataset."""
    from xlam.mixture import MixConfig, run_mix

    with bad_input_exits():
        cfg = MixConfig.from_file(config) if config.is_file() else fail(f"{config}: no such file")
        updates = {k: v for k, v in {"seed": seed, "temperature": temperature}.items() if v is not None}
        cfg = MixConfig.model_validate({**cfg.model_dump(), **updates})
        result = run_mix(cfg, out, num_records=n, report_dir=report, overwrite=overwrite, progress=True)
    typer.echo(result.to_markdown())
