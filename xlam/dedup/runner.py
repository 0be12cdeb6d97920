"""``run_dedup``: the dataset-level dedup stage (two streaming passes, atomic outputs, reports)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson

from xlam.datasets import DatasetReader, DatasetWriter
from xlam.dedup.config import DedupConfig
from xlam.dedup.engine import Cluster, Deduplicator
from xlam.records import Record
from xlam.reports import StageReport

PREVIEW_CHARS = 160


def _iter_inputs(in_uris: Sequence[str]) -> Iterator[Record]:
    for uri in in_uris:
        yield from DatasetReader(uri)


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _preview(record: Record) -> dict[str, Any]:
    text = record.query or (record.steps[0].user_input if record.steps else "")
    return {
        "id": record.id,
        "source": record.source,
        "query": text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else ""),
        "tools": [t.name for t in record.tools][:8],
    }


def _size_bucket(size: int) -> str:
    return str(size) if size <= 3 else "4-9" if size <= 9 else "10+"


def _progress(total: int, enabled: bool, label: str) -> Any:
    from rich.progress import Progress

    progress = Progress(disable=not enabled, transient=True)
    task = progress.add_task(label, total=total)
    return progress, task


def run_dedup(
    in_uris: Sequence[str] | str,
    out_uri: str,
    config: DedupConfig | None = None,
    *,
    rejects_uri: str | None = None,
    report_dir: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> StageReport:
    """Deduplicate the records of ``in_uris`` (read in order) into ``out_uri``.

    Kept records are written unchanged except for provenance (``checks`` gains ``dedup``; cluster
    keepers get ``extra.dedup`` with the cluster size and removed ids). Removed records go to
    ``rejects_uri`` (if given) with ``extra.dedup`` naming the kept duplicate, the reason
    (``exact``/``near``) and the similarity. ``report_dir`` receives ``dedup.report.{json,md,png}``
    and ``dedup.clusters.{json,md}`` (the removed clusters, with examples).
    """
    config = config or DedupConfig()
    uris = [in_uris] if isinstance(in_uris, str) else list(in_uris)
    start = time.perf_counter()
    total = sum(len(DatasetReader(u)) for u in uris)
    engine = Deduplicator(config)

    ids: list[str] = []
    bar, task = _progress(total, progress, "dedup: hashing")
    with bar:
        for batch in _batches(_iter_inputs(uris), config.batch_size):
            engine.add_batch(batch)
            ids.extend(r.id for r in batch)
            bar.advance(task, len(batch))

    clusters = sorted(engine.clusters.values(), key=lambda c: (-c.size, c.rep))
    cluster_of = {i: c for c in clusters for i in (c.rep, *(m.index for m in c.members))}
    member_of = {m.index: m for c in clusters for m in c.members}
    previews: dict[int, dict[str, Any]] = {}
    removed_by_source: Counter[str] = Counter()
    input_by_source: Counter[str] = Counter()
    command = "dedup " + orjson.dumps(config.model_dump(mode="json")).decode()

    bar, task = _progress(total, progress, "dedup: writing")
    with ExitStack() as stack:
        stack.enter_context(bar)
        out = stack.enter_context(
            DatasetWriter(out_uri, source="dedup", command=command, parents=uris, overwrite=overwrite)
        )
        rejects = stack.enter_context(
            DatasetWriter(rejects_uri, source="dedup", command=command, parents=uris, overwrite=overwrite)
        ) if rejects_uri else None
        for idx, record in enumerate(_iter_inputs(uris)):
            input_by_source[record.source] += 1
            cluster = cluster_of.get(idx)
            if cluster is not None:
                previews[idx] = _preview(record)
            if engine.is_kept(idx):
                extra = dict(record.provenance.extra)
                if cluster is not None:
                    extra["dedup"] = {"cluster_size": cluster.size, "removed": [ids[i] for i in cluster.removed()][:50]}
                provenance = record.provenance.model_copy(
                    update={"checks": [*record.provenance.checks, "dedup"], "extra": extra}
                )
                out.write(record.model_copy(update={"provenance": provenance}))
            else:
                removed_by_source[record.source] += 1
                if rejects is not None and cluster is not None:
                    member = member_of.get(idx)
                    info = {
                        "duplicate_of": ids[cluster.kept],
                        "reason": member.reason if member else "superseded",
                        "similarity": round(member.similarity, 4) if member else 1.0,
                    }
                    extra = {**record.provenance.extra, "dedup": info}
                    rejects.write(
                        record.model_copy(update={"provenance": record.provenance.model_copy(update={"extra": extra})})
                    )
            bar.advance(task)

    counts = engine.counts()
    report = StageReport(
        stage="dedup",
        input_records=engine.count,
        output_records=engine.count - len(engine.removed),
        rejected_records=len(engine.removed),
        counts={"exact_duplicate": counts["exact_duplicate"], "near_duplicate": counts["near_duplicate"]},
        groups={
            "removed_by_source": dict(sorted(removed_by_source.items())),
            "input_by_source": dict(sorted(input_by_source.items())),
            "cluster_sizes": dict(sorted(Counter(_size_bucket(c.size) for c in clusters).items())),
        },
        seconds=time.perf_counter() - start,
        output_uri=out_uri,
        rejects_uri=rejects_uri,
        config=config.model_dump(mode="json"),
        notes=[f"{counts['clusters']} clusters of duplicates; inputs: {', '.join(uris)}"],
    )
    if report_dir is not None:
        report.write(report_dir)
        write_cluster_report(Path(report_dir), clusters, previews, config)
    return report


def _cluster_dict(cluster: Cluster, previews: dict[int, dict[str, Any]]) -> dict[str, Any]:
    members = {m.index: m for m in cluster.members}
    removed = []
    for i in cluster.removed():
        m = members.get(i)
        removed.append({
            **previews[i],
            "reason": m.reason if m else "superseded",
            "similarity": round(m.similarity, 4) if m else 1.0,
        })
    return {"size": cluster.size, "kept": previews[cluster.kept], "removed": removed}


def write_cluster_report(
    directory: Path,
    clusters: list[Cluster],
    previews: dict[int, dict[str, Any]],
    config: DedupConfig,
) -> None:
    """``dedup.clusters.json`` (every cluster) and ``dedup.clusters.md`` (the largest, as examples)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = [_cluster_dict(c, previews) for c in clusters]
    (directory / "dedup.clusters.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    lines = [
        "## Dedup: removed clusters",
        "",
        f"{len(clusters)} clusters; threshold {config.threshold} (Jaccard of {config.shingle} {config.ngram}-grams"
        f" + tool names), keep = {config.keep}. Largest {min(len(data), config.report_examples)} shown.",
    ]

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    for n, cluster in enumerate(data[: config.report_examples], 1):
        lines += ["", f"### Cluster {n} ({cluster['size']} records)", "", "| | id | similarity | query |",
                  "|---|---|---:|---|"]
        lines.append(f"| kept | `{cluster['kept']['id']}` | | {cell(cluster['kept']['query'])} |")
        for r in cluster["removed"]:
            lines.append(f"| {r['reason']} | `{r['id']}` | {r['similarity']:.3f} | {cell(r['query'])} |")
    (directory / "dedup.clusters.md").write_text("\n".join(lines) + "\n")
