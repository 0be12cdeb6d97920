"""``run_mix``: write a mixed dataset from a :class:`MixConfig`, with a per-source share report."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import orjson

from xlam.datasets import DatasetWriter
from xlam.mixture.config import MixConfig, make_plan
from xlam.mixture.stream import MixItem, MixtureStream
from xlam.records import Record
from xlam.reports import StageReport


def _annotate(item: MixItem) -> Record:
    record = item.record
    provenance = record.provenance.model_copy(update={
        "transformations": [*record.provenance.transformations, f"mix(source={item.source}, epoch={item.epoch})"],
        "extra": {**record.provenance.extra, "mixture": {"source": item.source, "epoch": item.epoch}},
    })
    if item.epoch == 0:
        return record.model_copy(update={"provenance": provenance})
    # a repeat of the record in a later epoch gets its own id, pointing at the original
    provenance.parents = [*provenance.parents, record.id]
    return record.model_copy(update={"id": f"{record.id}~e{item.epoch}", "provenance": provenance})


def run_mix(
    config: MixConfig,
    out_uri: str,
    *,
    num_records: int | None = None,
    report_dir: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> StageReport:
    """Draw a mixture into ``out_uri``: ``num_records`` records (sampling continues past the stopping
    rule if needed), or as many as ``config.stopping`` gives. Records repeated in later epochs get
    ``<id>~e<epoch>`` ids; every record's provenance names its source and epoch."""
    from rich.progress import Progress

    start = time.perf_counter()
    if num_records is None and config.stopping == "infinite":
        raise ValueError("an infinite mixture needs num_records")
    if num_records is not None:
        config = config.model_copy(update={"stopping": "infinite"})
    plan = make_plan(config)
    stream = MixtureStream(config, plan=plan)
    counts: Counter[str] = Counter()
    epochs: dict[str, int] = {}
    command = "mix " + orjson.dumps(config.model_dump(mode="json")).decode()
    total = num_records or plan.total_records
    with Progress(disable=not progress, transient=True) as bar, DatasetWriter(
        out_uri, source="mix", command=command, parents=[s.uri for s in plan.sources], overwrite=overwrite
    ) as writer:
        task = bar.add_task("mix", total=total)
        for n, item in enumerate(stream.items()):
            if num_records is not None and n >= num_records:
                break
            writer.write(_annotate(item))
            counts[item.source] += 1
            epochs[item.source] = max(epochs.get(item.source, 0), item.epoch + 1)
            bar.advance(task)
        writer.manifest.stats = {"mixture": {"counts": dict(counts), "plan": plan.model_dump(mode="json")}}
    written = sum(counts.values())
    target = {s.name: round(100 * s.probability, 2) for s in plan.sources}
    actual = {s.name: round(100 * counts[s.name] / written, 2) if written else 0.0 for s in plan.sources}
    report = StageReport(
        stage="mix",
        input_records=sum(s.size for s in plan.sources),
        output_records=written,
        counts={s.name: counts[s.name] for s in plan.sources},
        groups={
            "target_share_bp": {k: round(v * 100) for k, v in target.items()},  # basis points (1/100 %)
            "actual_share_bp": {k: round(v * 100) for k, v in actual.items()},
            "source_size": {s.name: s.size for s in plan.sources},
            "epochs_started": {s.name: epochs.get(s.name, 0) for s in plan.sources},
        },
        seconds=time.perf_counter() - start,
        output_uri=out_uri,
        config=config.model_dump(mode="json"),
        notes=[
            f"temperature {plan.temperature}; probabilities from "
            + ("weights" if config.sources[0].weight is not None else "size x epochs"),
            "shares (target -> actual): " + ", ".join(f"{k} {target[k]:.2f}% -> {actual[k]:.2f}%" for k in target),
        ],
    )
    if report_dir is not None:
        from xlam.reports import bar_chart

        report.write(report_dir, chart=False)
        bar_chart({"target %": target, "actual %": actual}, Path(report_dir) / "mix.shares.png",
                  title="Mixture: share per source", ylabel="% of records")
    return report
