"""``run_unify``: convert source files into a unified dataset (atomic), and ``export_records`` back.

Bad input fails with a :class:`~xlam.errors.RecordError` (file, record number, field path,
reason) and leaves nothing behind; with ``on_error="skip"`` bad items go to a rejects file
(JSON lines: location, field, reason and the source value) and the rest is written.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from xlam.converters.base import Converter
from xlam.converters.registry import get_converter
from xlam.datasets import DatasetWriter, read_records
from xlam.datasets.storage import resolve
from xlam.datasets.writer import DEFAULT_SHARD_SIZE
from xlam.errors import RecordError
from xlam.reports import StageReport

Progress = Callable[[int], None]


class UnifyConfig(BaseModel):
    """Options of the unify stage (CLI, pipelines and control plane use this same model)."""

    model_config = ConfigDict(extra="forbid")

    on_error: Literal["fail", "skip"] = Field(
        default="fail", description="fail: stop at the first bad record; skip: write it to the rejects file."
    )
    shard_size: int = Field(default=DEFAULT_SHARD_SIZE, ge=1, description="Records per output shard.")
    compression: Literal["zstd"] | None = Field(default=None, description="Shard compression.")
    overwrite: bool = Field(default=False, description="Replace an existing dataset at the output URI.")
    limit: int | None = Field(default=None, ge=1, description="Stop after this many output records.")
    categories: list[str] | None = Field(
        default=None, description="bfcl only: categories to convert (default: every file present)."
    )


def default_rejects_uri(out_uri: str) -> str:
    return out_uri.rstrip("/") + ".rejects.jsonl"


class _RejectsFile:
    """Rejects streamed to a local temp file, published (atomically) only on success."""

    def __init__(self, uri: str | None) -> None:
        self.uri = uri
        self.count = 0
        self._tmp: Any = None

    def add(self, error: RecordError, value: Any) -> None:
        if self._tmp is None:
            self._tmp = tempfile.NamedTemporaryFile("wb", suffix=".rejects.jsonl", delete=False)  # noqa: SIM115
        row = {**error.as_dict(), "source": value}
        self._tmp.write(orjson.dumps(row, default=str) + b"\n")
        self.count += 1

    def publish(self) -> str | None:
        if self._tmp is None or self.uri is None:
            self.discard()
            return None
        self._tmp.close()
        fs, path = resolve(self.uri)
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent:
            fs.makedirs(parent, exist_ok=True)
        staging = f"{path}.tmp-{os.getpid()}"
        fs.put_file(self._tmp.name, staging)
        fs.mv(staging, path)
        os.unlink(self._tmp.name)
        self._tmp = None
        return self.uri

    def discard(self) -> None:
        if self._tmp is not None:
            self._tmp.close()
            os.unlink(self._tmp.name)
            self._tmp = None


def run_unify(
    source: str,
    inputs: Iterable[str],
    out_uri: str,
    config: UnifyConfig | None = None,
    *,
    rejects_uri: str | None = None,
    report_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> StageReport:
    """Convert ``inputs`` (files or, for bfcl, data directories) of format ``source`` into a dataset.

    ``progress`` is called with the number of source items handled since the last call.
    """
    config = config or UnifyConfig()
    converter: Converter = get_converter(source)
    input_list = [str(p) for p in inputs] or converter.default_inputs()
    if not input_list:
        raise ValueError(f"no inputs given for source {source!r}")
    if config.categories is not None and source != "bfcl":
        raise ValueError(f"categories applies to the bfcl source only, not {source!r}")
    if config.on_error == "skip" and rejects_uri is None:
        rejects_uri = default_rejects_uri(out_uri)
    options: dict[str, Any] = {"categories": config.categories}
    report = StageReport(stage="unify", output_uri=out_uri, config={"source": source, **config.model_dump()})
    rejects = _RejectsFile(rejects_uri)
    started = time.perf_counter()
    command = f"xlam data unify --from {source} " + " ".join(f"--in {p}" for p in input_list)
    by_input: dict[str, int] = {}
    names: dict[str, str] = {}  # source path -> file name (Path() per record is measurable)
    counts = report.counts  # tallied in place: a pydantic attribute write per record is measurable
    inputs_seen = 0
    try:
        with DatasetWriter(out_uri, source=f"unify:{source}", command=command, parents=input_list,
                           shard_size=config.shard_size, compression=config.compression,
                           overwrite=config.overwrite) as writer:
            for path in input_list:
                for item in converter.iter_source(path, options):
                    inputs_seen += 1
                    if progress is not None:
                        progress(1)
                    try:
                        records = converter.convert_item(item)
                    except RecordError as exc:
                        if config.on_error == "fail":
                            raise
                        rejects.add(exc, item.value)
                        report.rejected_records += 1
                        report.bump(f"rejected:{exc.field or 'record'}")
                        continue
                    name = names.get(item.path) or names.setdefault(item.path, Path(item.path).name)
                    for record in records:
                        writer.write(record)
                        category = str(record.inferred_category())
                        counts[category] = counts.get(category, 0) + 1
                        by_input[name] = by_input.get(name, 0) + 1
                    if config.limit is not None and writer.count >= config.limit:
                        break
                if config.limit is not None and writer.count >= config.limit:
                    break
            report.input_records = inputs_seen
            report.output_records = writer.count
            writer.manifest.stats = {"by_category": {k: v for k, v in report.counts.items()
                                                     if not k.startswith("rejected:")}}
    except BaseException:
        rejects.discard()
        raise
    report.rejects_uri = rejects.publish()
    report.groups["records_by_input"] = by_input
    report.seconds = round(time.perf_counter() - started, 3)
    if report_dir is not None:
        report.write(report_dir)
    return report


class _Counted:
    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self._items:
            self.count += 1
            yield item


def export_records(in_uri: str, to: str, out_path: str | Path) -> int:
    """Write every record of a dataset in format ``to`` (JSON lines, atomic). Returns the count.

    ``bfcl`` writes BFCL's layout: the question file at ``out_path`` (name it
    ``BFCL_v4_<category>.json``) and ``possible_answer/<same name>`` beside it.

    Raises :class:`ExportError` naming the record when the format cannot carry it losslessly.
    """
    converter = get_converter(to)
    if not converter.can_export:
        raise ValueError(f"format {to!r} has no exporter")
    out = Path(out_path)
    if to == "bfcl":  # two files: questions at out_path, answers in possible_answer/ next to it
        from xlam.converters.bfcl import write_bfcl_files

        rows = (converter.export(record) for record in read_records(in_uri))
        counter = _Counted(rows)
        write_bfcl_files(counter, out)
        return counter.count
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    count = 0
    try:
        with tmp.open("wb") as fh:
            for record in read_records(in_uri):
                row = converter.export(record)
                fh.write(orjson.dumps(row) + b"\n")
                count += 1
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
