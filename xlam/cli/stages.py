"""``xlam data augment`` and ``xlam data verify``.

Bad input (missing dataset, invalid record, bad config) exits with code 2 and prints where.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from xlam.cli.errors import bad_input_exits, read_config_file
from xlam.cli.groups import data_app


def register(app: typer.Typer) -> None:
    """Commands are attached to ``data_app`` at import time; nothing else to add."""




def _load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    return read_config_file(path)


def _print_report(report: Any) -> None:
    typer.echo(report.to_markdown())


@data_app.command("augment")
def augment_cmd(
    in_uri: Annotated[str, typer.Argument(help="Input dataset URI.")],
    out: Annotated[str, typer.Option("--out", help="Output dataset URI.")],
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (overrides the config).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="AugmentConfig as YAML.")] = None,
    copies: Annotated[int | None, typer.Option("--copies", help="Variants per record.")] = None,
    keep_original: Annotated[bool, typer.Option("--keep-original", help="Also write the inputs.")] = False,
    paraphrase: Annotated[
        str | None,
        typer.Option(
            "--paraphrase", help="Generator backend for instruction paraphrase: template | hf | openai."
        ),
    ] = None,
    report: Annotated[
        str | None, typer.Option("--report", help="Directory for the JSON/MD/PNG report.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output dataset.")
    ] = False,
) -> None:
    """Prompt-format and output-format augmentation (seeded; same seed -> same output)."""
    with bad_input_exits():
        from xlam.augment import AugmentConfig, run_augment
        from xlam.datasets import read_manifest

        data = _load_config(config)
        if seed is not None:
            data["seed"] = seed
        if copies is not None:
            data["copies"] = copies
        if keep_original:
            data["keep_original"] = True
        if paraphrase is not None:
            data["paraphrase"] = {**data.get("paraphrase", {}), "backend": paraphrase}
        cfg = AugmentConfig.model_validate(data)
        read_manifest(in_uri)
        result = run_augment(
            in_uri, out, cfg, report_dir=report, overwrite=overwrite, progress=sys.stderr.isatty()
        )
    _print_report(result)


@data_app.command("verify")
def verify_cmd(
    in_uri: Annotated[str, typer.Argument(help="Input dataset URI.")],
    out: Annotated[str, typer.Option("--out", help="Accepted records (dataset URI).")],
    rejects: Annotated[str | None, typer.Option("--rejects", help="Rejected records (dataset URI).")] = None,
    tools: Annotated[
        str | None,
        typer.Option(
            "--tools",
            help="Executable tool registry for the execution "
            "checker: JSONL path/URI or module:<dotted.module>.",
        ),
    ] = None,
    judge: Annotated[
        str | None, typer.Option("--judge", help="Semantic judge backend: template | hf | openai.")
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option("--judge-model", help="Judge model name or path.")
    ] = None,
    judge_url: Annotated[str | None, typer.Option("--judge-url", help="openai: base URL.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="VerifyConfig as YAML.")] = None,
    no_autofix: Annotated[
        bool, typer.Option("--no-autofix", help="Reject instead of fixing safe casts.")
    ] = False,
    on_error: Annotated[
        str | None, typer.Option("--on-error", help="fail | skip invalid input records.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Judge sampling seed.")] = None,
    report: Annotated[
        str | None, typer.Option("--report", help="Directory for the JSON/MD/PNG report.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output datasets.")] = False,
) -> None:
    """Rules (with lossless auto-fixes), sandboxed execution and an LLM judge."""
    with bad_input_exits():
        from xlam.datasets import read_manifest
        from xlam.verify import VerifyConfig, run_verify

        data = _load_config(config)
        if tools is not None:
            data["tools"] = tools
        if no_autofix:
            data["autofix"] = False
        if on_error is not None:
            data["on_error"] = on_error
        if judge is not None:
            data["judge"] = {**(data.get("judge") or {}), "backend": judge}
            if judge == "template":
                data["judge"].setdefault("template", "judge")
        if data.get("judge") is not None:
            for key, value in (("model", judge_model), ("base_url", judge_url), ("seed", seed)):
                if value is not None:
                    data["judge"][key] = value
        cfg = VerifyConfig.model_validate(data)
        read_manifest(in_uri)
        if (
            cfg.tools
            and not cfg.tools.startswith("module:")
            and "://" not in cfg.tools
            and not Path(cfg.tools).exists()
        ):
            raise FileNotFoundError(2, "no such file", cfg.tools)
        result = run_verify(
            in_uri,
            out,
            cfg,
            rejects_uri=rejects,
            report_dir=report,
            overwrite=overwrite,
            progress=sys.stderr.isatty(),
        )
    _print_report(result)
