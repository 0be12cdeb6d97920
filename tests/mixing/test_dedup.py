"""Dedup: exact and MinHash-LSH near-duplicate removal on BFCL-derived records."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import orjson
import pytest
from datasketch import MinHash

from tests.mixing.bfcl_data import bfcl_records, near_duplicate
from xlam.datasets import read_records, write_records
from xlam.dedup import DedupConfig, Deduplicator, MinHasher, jaccard, near_text, run_dedup, shingle_batch
from xlam.errors import RecordError
from xlam.records import Record


def test_signatures_match_datasketch() -> None:
    texts = ["find the area of a triangle", "abc", "", "book a flight from Paris to Rome on 2024-05-01"]
    sets = shingle_batch(texts, n=5, tokens=[["area"], [], ["x"], ["book", "pay"]], token_weight=0.25)
    sigs = MinHasher(64, seed=7).signatures(sets)
    for i in range(len(texts)):
        ref = MinHash(num_perm=64, seed=7, hashfunc=lambda x: x)
        if sets.sizes[i]:
            ref.update_batch([int(h) for h in sets.get(i)])
        assert np.array_equal(ref.hashvalues, sigs[i])
    assert sets.sizes[2] == 0 and sets.sizes[1] == 1  # empty text: no set; short text: one shingle


def test_minhash_estimates_jaccard() -> None:
    rng = random.Random(0)
    base = [r.query for r in bfcl_records()[:200]]
    edited = [near_duplicate(r, rng, edits=2).query for r in bfcl_records()[:200]]
    sets = shingle_batch(base + edited, n=5)
    sigs = MinHasher(256).signatures(sets)
    errors = [abs(jaccard(sets.get(i), sets.get(i + 200)) - float(np.mean(sigs[i] == sigs[i + 200])))
              for i in range(200)]
    assert np.mean(errors) < 0.03


def test_exact_duplicates_ignore_case_whitespace_tool_order_and_ids() -> None:
    recs = [r for r in bfcl_records() if r.meta.get("bfcl_category") == "multiple"][:50]
    copy = recs[0].model_copy(update={
        "id": "copy", "source": "elsewhere", "query": "  " + recs[0].query.upper().replace(" ", "   ") + "\n",
        "tools": list(reversed(recs[0].tools)),
    })
    changed_call = recs[1].model_copy(deep=True, update={"id": "changed"})
    changed_call.steps[0].tool_calls[0].arguments["__extra__"] = 1
    engine = Deduplicator(DedupConfig(near=False))
    decisions = engine.add_batch([*recs, copy, changed_call])
    assert decisions[50].duplicate_of == 0 and decisions[50].reason == "exact"
    assert decisions[51].duplicate_of is None  # different calls: not a duplicate
    assert engine.removed == {50}


def test_near_duplicate_recall_on_injected_edits() -> None:
    rng = random.Random(42)
    originals = list(bfcl_records())
    picks = rng.sample(range(len(originals)), 300)
    dups = [near_duplicate(originals[i], rng, edits=rng.choice((1, 2))) for i in picks]
    config = DedupConfig(exact=False)
    engine = Deduplicator(config)
    engine.add_batch(originals)
    decisions = engine.add_batch(dups)
    # the truth: exact Jaccard of each injected pair's shingle sets
    sets = shingle_batch([near_text(r) for r in [*(originals[i] for i in picks), *dups]], n=config.ngram,
                         tokens=[[t.name for t in r.tools] for r in [*(originals[i] for i in picks), *dups]],
                         token_weight=config.tool_weight)
    truth = [jaccard(sets.get(k), sets.get(k + len(picks))) for k in range(len(picks))]
    eligible = [k for k, j in enumerate(truth) if j >= config.threshold]
    found = [k for k in eligible if decisions[k].duplicate_of is not None]
    assert len(eligible) >= 150
    assert len(found) / len(eligible) >= 0.9
    # nothing merged below the threshold (candidates are checked with the exact Jaccard)
    for cluster in engine.clusters.values():
        for member in cluster.members:
            assert member.similarity >= config.threshold


def test_keep_best_prefers_verified_records() -> None:
    base = bfcl_records()[0]
    plain = base.model_copy(update={"id": "a"})
    verified = base.model_copy(update={"id": "b", "provenance": base.provenance.model_copy(
        update={"checks": ["format", "execution"]})})
    engine = Deduplicator(DedupConfig(keep="best"))
    engine.add_batch([plain, verified])
    assert engine.removed == {0} and engine.is_kept(1)
    first = Deduplicator(DedupConfig(keep="first"))
    first.add_batch([plain, verified])
    assert first.removed == {1}


def test_run_dedup_end_to_end(tmp_path: Path) -> None:
    rng = random.Random(3)
    originals = list(bfcl_records(("simple_python",)))[:200]
    dups = [near_duplicate(originals[i], rng) for i in range(0, 200, 10)]
    exact = [originals[5].model_copy(update={"id": "exact-copy"})]
    write_records(str(tmp_path / "a"), originals)
    write_records(str(tmp_path / "b"), [*dups, *exact])
    report = run_dedup([str(tmp_path / "a"), str(tmp_path / "b")], str(tmp_path / "out"), DedupConfig(),
                       rejects_uri=str(tmp_path / "rejects"), report_dir=tmp_path / "report")
    kept = list(read_records(str(tmp_path / "out")))
    rejects = list(read_records(str(tmp_path / "rejects")))
    assert report.input_records == 221 and report.output_records == len(kept)
    assert report.rejected_records == len(rejects) >= 15 and report.counts["exact_duplicate"] >= 1
    assert {r.id for r in kept}.isdisjoint({r.id for r in rejects})
    assert all("dedup" in r.provenance.checks for r in kept)
    copy = next(r for r in rejects if r.id == "exact-copy")
    assert copy.provenance.extra["dedup"] == {"duplicate_of": originals[5].id, "reason": "exact", "similarity": 1.0}
    keeper = next(r for r in kept if r.id == originals[5].id)
    assert "exact-copy" in keeper.provenance.extra["dedup"]["removed"]
    clusters = orjson.loads((tmp_path / "report" / "dedup.clusters.json").read_bytes())
    assert sum(len(c["removed"]) for c in clusters) == len(rejects)
    md = (tmp_path / "report" / "dedup.clusters.md").read_text()
    assert "### Cluster 1" in md and originals[5].id in md
    assert (tmp_path / "report" / "dedup.report.json").is_file()


def test_bad_input_names_the_record(tmp_path: Path) -> None:
    good = bfcl_records()[0]
    write_records(str(tmp_path / "in"), [good.model_dump(mode="json"), {"id": "x", "steps": "nope"}])
    with pytest.raises(RecordError) as err:
        run_dedup([str(tmp_path / "in")], str(tmp_path / "out"))
    assert err.value.line == 2 and "steps" in err.value.field
    assert not (tmp_path / "out").exists()


def test_records_round_trip_unchanged_except_provenance(tmp_path: Path) -> None:
    recs: list[Record] = list(bfcl_records(("parallel",)))[:20]
    write_records(str(tmp_path / "in"), recs)
    run_dedup(str(tmp_path / "in"), str(tmp_path / "out"))
    out = list(read_records(str(tmp_path / "out")))
    assert [r.model_copy(update={"provenance": recs[0].provenance}) for r in out] == [
        r.model_copy(update={"provenance": recs[0].provenance}) for r in recs]
