"""Record-level :func:`augment_record` and the dataset-level :func:`run_augment` stage."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

from pydantic import ValidationError

from xlam.augment import ops
from xlam.augment.config import AugmentConfig
from xlam.augment.paraphrase import paraphrase_records
from xlam.datasets import DatasetReader, DatasetWriter
from xlam.datasets.storage import join
from xlam.errors import RecordError, pydantic_field_path
from xlam.formats import FORMATS, FormatRenderError, get_format
from xlam.generators import Generator, create_generator
from xlam.records import Record
from xlam.reports import StageReport

Op = Callable[[Record, random.Random], tuple[Record, str | None]]


def record_rng(config: AugmentConfig, record_id: str, copy: int, purpose: str = "") -> random.Random:
    """The generator every random choice for (record, copy) comes from (stable across runs)."""
    return random.Random(f"xlam-augment:{config.seed}:{record_id}:{copy}:{purpose}")


def _format_names(config: AugmentConfig) -> list[str]:
    if config.output_formats is None:
        return sorted(FORMATS)
    for name in config.output_formats:
        get_format(name)  # KeyError with the known names
    return list(config.output_formats)


def choose_format(record: Record, names: list[str], rng: random.Random) -> str | None:
    """A random output format that can render every step of ``record`` (None if none can)."""
    candidates = list(names)
    rng.shuffle(candidates)
    for name in candidates:
        fmt = get_format(name)
        try:
            for step in record.steps:
                if step.tool_calls or step.response:
                    fmt.render(step)
        except (FormatRenderError, ValueError):
            continue
        return name
    return None


def augment_record(record: Record, config: AugmentConfig | None = None, copy: int = 0) -> Record:
    """One prompt-format / output-format variant of ``record`` (no paraphrase: that needs a
    generator, see :func:`run_augment`). Pure: the same record, config and copy give the same output."""
    config = config or AugmentConfig()
    rng = record_rng(config, record.id, copy)
    done: list[str] = []
    out = record
    steps: list[tuple[bool, Op]] = [
        (config.shuffle_tools, ops.shuffle_tools),
        (config.shuffle_tool_parameters, ops.shuffle_tool_parameters),
        (config.shuffle_call_arguments, ops.shuffle_call_arguments),
        (config.shuffle_parallel_calls, ops.shuffle_parallel_calls),
    ]
    for enabled, op in steps:
        if enabled:
            out, what = op(out, rng)
            if what:
                done.append(f"augment.{what}")
    meta = dict(out.meta)
    format_name: str | None = None
    names = _format_names(config)
    if names:
        format_name = choose_format(out, names, rng)
        if format_name is not None:
            out = out.model_copy(update={"format_instruction": get_format(format_name).instruction})
            meta["output_format"] = format_name
            done.append(f"augment.output_format({format_name})")
    style = ops.choose_style(
        rng,
        delimiters=config.delimiters,
        tool_renderings=config.tool_renderings,
        shuffle_sections=config.shuffle_sections,
        shuffle_fields=config.shuffle_fields,
        output_format=format_name or meta.get("output_format"),
    )
    meta["prompt_style"] = style.model_dump(mode="json")
    done.append(
        f"augment.prompt_style(delimiter={style.delimiter}, tools={style.tool_rendering}, "
        f"sections={','.join(style.section_order[:4])})"
    )
    prov = out.provenance.model_copy(deep=True)
    prov.parents = [record.id]
    prov.transformations.extend(done)
    return out.model_copy(update={"id": f"{record.id}~aug{copy}", "meta": meta, "provenance": prov})


def _read(uri: str, config: AugmentConfig, report: StageReport) -> Iterator[Record]:
    for shard, lineno, line in DatasetReader(uri).iter_raw():
        try:
            yield Record.model_validate_json(line)
        except ValidationError as exc:
            err = exc.errors()[0]
            if config.on_error == "fail":
                raise RecordError(
                    join(uri, shard), lineno, pydantic_field_path(tuple(err["loc"])), err["msg"]
                ) from exc
            report.bump("invalid_record")
            report.rejected_records += 1


def run_augment(
    in_uri: str,
    out_uri: str,
    config: AugmentConfig | None = None,
    *,
    report_dir: str | None = None,
    generator: Generator | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> StageReport:
    """Write ``copies`` augmented variants of every record of ``in_uri`` to ``out_uri``."""
    config = config or AugmentConfig()
    _format_names(config)  # fail early on unknown format names
    start = time.perf_counter()
    report = StageReport(stage="augment", output_uri=out_uri, config=config.model_dump(mode="json"))
    if generator is None and config.paraphrase is not None:
        if config.paraphrase.backend == "template":
            report.notes.append(
                "paraphrase skipped: the template backend cannot paraphrase with verification"
            )
        else:
            generator = create_generator(config.paraphrase)
    owned = (
        generator is not None and config.paraphrase is not None and config.paraphrase.backend != "template"
    )
    by_format: dict[str, int] = {}
    by_style: dict[str, int] = {}
    total = len(DatasetReader(in_uri))
    with ExitStack() as stack:
        out = stack.enter_context(
            DatasetWriter(
                out_uri, source="augment", command="xlam data augment", parents=[in_uri], overwrite=overwrite
            )
        )
        bar: Any = None
        if progress:
            from rich.progress import Progress

            bar = stack.enter_context(Progress(transient=True))
            task = bar.add_task("augment", total=total)
        pending: list[Record] = []

        def flush() -> None:
            variants = [augment_record(r, config, k) for r in pending for k in range(config.copies)]
            if generator is not None:
                rngs = [
                    record_rng(config, v.provenance.parents[0], int(v.id.rsplit("~aug", 1)[1]), "paraphrase")
                    for v in variants
                ]
                for start_i in range(0, len(variants), config.paraphrase_batch):
                    chunk = slice(start_i, start_i + config.paraphrase_batch)
                    outcomes = paraphrase_records(
                        variants[chunk],
                        generator,
                        rngs[chunk],
                        probability=config.paraphrase_probability,
                        verify=config.verify_paraphrase,
                        max_tokens=config.paraphrase_max_tokens,
                    )
                    for j, outcome in enumerate(outcomes, start_i):
                        report.bump(f"paraphrase:{outcome.status}")
                        if outcome.status == "paraphrased":
                            prov = outcome.record.provenance.model_copy(deep=True)
                            prov.transformations.append(f"augment.paraphrase_instruction({generator.name})")
                            prov.generator = generator.name
                            variants[j] = outcome.record.model_copy(update={"provenance": prov})
            for index, variant in enumerate(variants):
                if config.keep_original and index % config.copies == 0:
                    out.write(pending[index // config.copies])
                    report.output_records += 1
                out.write(variant)
                report.output_records += 1
                name = str(variant.meta.get("output_format", "unchanged"))
                by_format[name] = by_format.get(name, 0) + 1
                style = variant.meta["prompt_style"]
                key = f"{style['delimiter']}/{style['tool_rendering']}"
                by_style[key] = by_style.get(key, 0) + 1
            if bar is not None:
                bar.advance(task, len(pending))
            pending.clear()

        for record in _read(in_uri, config, report):
            report.input_records += 1
            pending.append(record)
            if len(pending) >= 256:
                flush()
        if pending:
            flush()
    if owned and generator is not None:
        generator.close()
    report.groups = {
        "output_format": dict(sorted(by_format.items())),
        "delimiter/tool_rendering": dict(sorted(by_style.items())),
    }
    report.seconds = time.perf_counter() - start
    if report_dir:
        report.write(report_dir)
    return report
