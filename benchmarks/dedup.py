"""Dedup throughput (records/s on one core) and near-duplicate recall, with an orjson baseline.

Corpus: queries of every single-turn BFCL v4 record (real tools and calls), turned into N
distinct records (each query spliced with another query's tail and a random token, so the
corpus is not dominated by BFCL's 3.6k queries), of which a fraction gets an injected
near-duplicate (1-3 random edits: dropped/inserted words, typos, case, punctuation). The truth
of every injected pair is the exact Jaccard similarity of its shingle sets; recall counts the
pairs with Jaccard >= 0.8 that dedup removed.

Measured in this one process (so per core):

- baseline: ``orjson.loads`` of every record line (the floor cost of touching the data);
- ``Record.model_validate_json`` of every line (what any stage over records pays);
- the dedup engine on records in memory (normalised exact key + shingling + MinHash + LSH +
  exact Jaccard check);
- ``run_dedup`` end to end (read, parse, dedup, write kept records, twice-read inputs);
- datasketch used directly (``MinHash.update_batch`` per record + ``MinHashLSH``) on a subset.

    .venv/bin/python benchmarks/dedup.py [--n 50000] [--dup-rate 0.2] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

import orjson

from xlam.assets import bfcl_data_dir
from xlam.converters import get_converter
from xlam.dedup import DedupConfig, Deduplicator, jaccard, near_text, run_dedup, shingle_batch
from xlam.records import Record

DOCS = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"
CATEGORIES = ["simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
              "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple", "irrelevance",
              "live_irrelevance"]
FILLERS = ("please", "now", "quickly", "also", "kindly", "today", "the", "for me")


def bfcl_records() -> list[Record]:
    conv = get_converter("bfcl")
    items = conv.iter_source(str(bfcl_data_dir()), {"categories": CATEGORIES})
    return [r for item in items for r in conv.convert_item(item) if r.query.strip()]


def edit(text: str, rng: random.Random, edits: int) -> str:
    words = text.split()
    for _ in range(edits):
        op = rng.choice(("drop", "insert", "typo", "case", "punct"))
        i = rng.randrange(len(words))
        if op == "drop" and len(words) > 4:
            del words[i]
        elif op == "insert":
            words.insert(i, rng.choice(FILLERS))
        elif op == "typo" and len(words[i]) > 3:
            j = rng.randrange(len(words[i]) - 1)
            words[i] = words[i][:j] + words[i][j + 1] + words[i][j] + words[i][j + 2 :]
        elif op == "case":
            words[i] = words[i].upper()
        else:
            words[-1] = words[-1].rstrip("?.!") + rng.choice("?.!")
    return " ".join(words)


def make_corpus(n: int, dup_rate: float, seed: int = 0) -> tuple[list[Record], list[tuple[int, int]]]:
    """``n`` records and the (original, injected duplicate) index pairs among them."""
    rng = random.Random(seed)
    base = bfcl_records()
    records: list[Record] = []
    pairs: list[tuple[int, int]] = []
    while len(records) < n:
        a, b = rng.choice(base), rng.choice(base)
        head = " ".join(a.query.split()[:40])
        tail = " ".join(b.query.split()[-6:])
        query = f"{head} {tail} ref {rng.randrange(16**8):08x}"
        records.append(a.model_copy(update={"id": f"r{len(records)}", "query": query}))
        if rng.random() < dup_rate and len(records) < n:
            dup = records[-1].model_copy(update={"id": f"r{len(records)}", "query": edit(query, rng, rng.randint(1, 3))})
            pairs.append((len(records) - 1, len(records)))
            records.append(dup)
    return records, pairs


CPU: dict[str, float] = {}


def best_of(repeat: int, fn, name: str = ""):  # type: ignore[no-untyped-def]
    """Best wall time of ``repeat`` runs; the CPU time (process_time) of the best run goes to CPU[name]."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = time.perf_counter() - start
        if wall < best:
            best = wall
            if name:
                CPU[name] = time.process_time() - cpu
    return best, result


def datasketch_direct(records: list[Record], config: DedupConfig) -> float:
    """Seconds for datasketch used the obvious way: one MinHash per record + MinHashLSH."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, weights=config.lsh_weights)
    start = time.perf_counter()
    for i, r in enumerate(records):
        text = near_text(r)
        m = MinHash(num_perm=config.num_perm, seed=config.seed)
        m.update_batch([text[j : j + config.ngram].encode() for j in range(max(1, len(text) - config.ngram + 1))])
        lsh.query(m)
        lsh.insert(i, m)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--dup-rate", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--datasketch-n", type=int, default=5_000)
    ap.add_argument("--write-docs", action="store_true", help="Replace the '## Dedup' section of docs/BENCHMARKS.md.")
    args = ap.parse_args()

    config = DedupConfig()
    Deduplicator(config)  # import datasketch (for band parameters) outside the timings
    records, pairs = make_corpus(args.n, args.dup_rate)
    lines = [r.model_dump_json(exclude_none=True).encode() for r in records]
    t_orjson, _ = best_of(args.repeat, lambda: [orjson.loads(x) for x in lines], "orjson")
    t_pydantic, _ = best_of(args.repeat, lambda: [Record.model_validate_json(x) for x in lines], "pydantic")

    def engine_run() -> Deduplicator:
        engine = Deduplicator(config)
        for i in range(0, len(records), config.batch_size):
            engine.add_batch(records[i : i + config.batch_size])
        return engine

    t_engine, engine = best_of(args.repeat, engine_run, "engine")
    idx = [i for p in pairs for i in p]
    sets = shingle_batch([near_text(records[i]) for i in idx], n=config.ngram,
                         tokens=[[t.name for t in records[i].tools] for i in idx], token_weight=config.tool_weight)
    truth = [jaccard(sets.get(2 * k), sets.get(2 * k + 1)) for k in range(len(pairs))]
    eligible = [k for k, j in enumerate(truth) if j >= config.threshold]
    found = sum(1 for k in eligible if not engine.is_kept(pairs[k][1]) or not engine.is_kept(pairs[k][0]))
    recall = found / len(eligible) if eligible else float("nan")
    wrong = sum(1 for c in engine.clusters.values() for m in c.members if m.similarity < config.threshold)

    work = Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    try:
        from xlam.datasets import write_records

        write_records(str(work / "in"), records)
        t_e2e, report = best_of(
            1, lambda: run_dedup([str(work / "in")], str(work / "out"), config, overwrite=True), "e2e")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sub = records[: args.datasketch_n]
    t_ds, _ = best_of(1, lambda: datasketch_direct(sub, config), "datasketch")
    t_engine_sub, _ = best_of(1, lambda: Deduplicator(config).add_batch(sub), "engine_sub")

    n = len(records)
    cpu = re.sub(r"\s+", " ", platform.processor() or platform.machine())
    load = os.getloadavg()[0]
    md = f"""## Dedup

Dedup throughput on one core (one process, numpy single-threaded) and near-duplicate recall,
against an `orjson.loads` baseline of the same record lines measured in the same run (best of {args.repeat}).

- Date: {time.strftime('%Y-%m-%d')}. Machine: CI kind: 2-core x86-64, 24 GiB ({cpu}, CPython
  {platform.python_version()}); shared with other jobs (load average {load:.1f} during the run).
- Command: `.venv/bin/python benchmarks/dedup.py --n {args.n} --dup-rate {args.dup_rate} --write-docs`
- Corpus: {n:,} records built from every single-turn BFCL v4 query (real tools and calls; each query
  spliced with another's tail and a random token so records are distinct), {len(pairs):,} of them
  injected near-duplicates (1-3 edits). Config: char 5-gram shingles + tool names (25%),
  num_perm 128, threshold 0.8, LSH bands {engine.index.bands} x rows {engine.index.rows}, exact-Jaccard check.

Wall-clock rates are depressed by the other jobs on the machine; the CPU-time rate (records per
CPU-second of this process, `time.process_time`) is the per-core figure. Under heavy contention even
CPU time is inflated (shared caches and cores), so the ratio to orjson, measured in the same run,
is the most comparable number.

| what | records/s (wall) | records per CPU-second | ratio to orjson (CPU) |
|---|---:|---:|---:|
| baseline: `orjson.loads` per line | {n / t_orjson:,.0f} | {n / CPU['orjson']:,.0f} | 1.000 |
| `Record.model_validate_json` per line | {n / t_pydantic:,.0f} | {n / CPU['pydantic']:,.0f} | {CPU['orjson'] / CPU['pydantic']:.3f} |
| **dedup engine** (exact key + MinHash + LSH + check) | {n / t_engine:,.0f} | **{n / CPU['engine']:,.0f}** | {CPU['orjson'] / CPU['engine']:.3f} |
| `run_dedup` end to end (read twice, parse, write) | {n / t_e2e:,.0f} | {n / CPU['e2e']:,.0f} | {CPU['orjson'] / CPU['e2e']:.3f} |
| datasketch direct (MinHash per record + MinHashLSH), first {len(sub):,} | {len(sub) / t_ds:,.0f} | {len(sub) / CPU['datasketch']:,.0f} | |
| dedup engine on the same {len(sub):,} | {len(sub) / t_engine_sub:,.0f} | {len(sub) / CPU['engine_sub']:,.0f} | |

Near-duplicate recall at Jaccard ≥ 0.8: **{recall:.3f}** ({found:,} of {len(eligible):,} injected pairs
with true Jaccard ≥ 0.8 removed); {len(pairs) - len(eligible):,} injected pairs fell below 0.8 (not
duplicates by definition); merges below the threshold: {wrong}. `run_dedup` removed
{report.rejected_records:,} records ({report.counts.get('exact_duplicate', 0):,} exact, {report.counts.get('near_duplicate', 0):,} near).

Targets: ≥ 10,000 records/s/core for MinHash dedup: **{'met' if n / CPU['engine'] >= 10_000 else 'not met'}**
(engine {n / CPU['engine']:,.0f} records per CPU-second); recall ≥ 0.9: **{'met' if recall >= 0.9 else 'not met'}**. End to end,
pydantic parsing of the records dominates (`run_dedup` reads every record twice and writes the kept ones).
"""
    print(md)
    if args.write_docs:
        text = DOCS.read_text() if DOCS.exists() else ""
        pattern = re.compile(r"^## Dedup\n.*?(?=^## |\Z)", re.S | re.M)
        text = pattern.sub(md + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + md
        DOCS.write_text(text)


if __name__ == "__main__":
    main()
