"""Mixtures: probabilities, proportions, explicit sharding, epoch reshuffles, exact resume."""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest
from scipy.stats import chisquare

from tests.mixing.bfcl_data import bfcl_records
from xlam.datasets import read_manifest, read_records, write_records
from xlam.errors import RecordError
from xlam.mixture import MixConfig, MixSource, MixtureStream, make_plan, run_mix

SIZES = {"simple": 300, "multiple": 120, "parallel": 60}
CATEGORY = {"simple": "simple_python", "multiple": "multiple", "parallel": "parallel"}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("mix-sources")
    out = {}
    for name, size in SIZES.items():
        recs = [r for r in bfcl_records() if r.meta.get("bfcl_category") == CATEGORY[name]][:size]
        assert len(recs) == size
        write_records(str(root / name), recs, shard_size=37)  # several shards per source
        out[name] = str(root / name)
    return out


def _config(sources: dict[str, str], **kw: object) -> MixConfig:
    epochs = kw.pop("epochs", {"simple": 1, "multiple": 2, "parallel": 3})
    return MixConfig(sources=[MixSource(name=n, uri=u, epochs=epochs[n]) for n, u in sources.items()],  # type: ignore[index]
                     **kw)


def test_plan_probabilities(sources: dict[str, str]) -> None:
    plan = make_plan(_config(sources))
    assert [round(p, 6) for p in plan.probabilities] == [round(x / 720, 6) for x in (300, 240, 180)]
    assert plan.total_records == 720
    hot = make_plan(_config(sources, temperature=2.0))
    raw = [300**0.5, 240**0.5, 180**0.5]
    assert [round(p, 6) for p in hot.probabilities] == [round(x / sum(raw), 6) for x in raw]
    weighted = make_plan(MixConfig(sources=[MixSource(name=n, uri=u, weight=w) for (n, u), w in
                                            zip(sources.items(), (1, 1, 2), strict=True)]))
    assert weighted.probabilities == [0.25, 0.25, 0.5]
    with pytest.raises(ValueError, match="weights or epochs"):
        MixConfig(sources=[MixSource(name="a", uri="x", weight=1, epochs=2)])
    with pytest.raises(ValueError, match="unique"):
        MixConfig(sources=[MixSource(name="a", uri="x"), MixSource(name="a", uri="y")])


def test_proportions_match_probabilities(sources: dict[str, str]) -> None:
    config = _config(sources, stopping="infinite", seed=11)
    plan = make_plan(config)
    n = 6000
    counts = {name: 0 for name in SIZES}
    for item in itertools.islice(MixtureStream(config).items(), n):
        counts[item.source] += 1
    _, p_value = chisquare(list(counts.values()), [p * n for p in plan.probabilities])
    assert p_value > 0.001, counts


def test_all_exhausted_covers_every_record_and_reshuffles(sources: dict[str, str]) -> None:
    stream = MixtureStream(_config(sources, seed=5))
    items = list(stream.items())
    quotas = dict(zip(stream.names, stream.quotas(), strict=True))
    assert quotas == {"simple": 300, "multiple": 240, "parallel": 180}
    for name, size in SIZES.items():
        mine = [it for it in items if it.source == name]
        assert len(mine) >= quotas[name]
        first_epoch = [it.index for it in mine if it.epoch == 0]
        assert sorted(first_epoch) == list(range(size))  # every record once per epoch
        if name == "parallel":
            second = [it.index for it in mine if it.epoch == 1]
            assert sorted(second) == list(range(size)) and second != first_epoch  # reshuffled
    assert stream.step == len(items)
    assert list(stream.items()) == []  # exhausted stays exhausted


def test_ranks_and_workers_read_disjoint_slices(sources: dict[str, str]) -> None:
    config = _config(sources, seed=3, block_size=16)
    streams = [MixtureStream(config, rank=r, world_size=2, worker_id=w, num_workers=2)
               for r in range(2) for w in range(2)]
    for k, name in enumerate(SIZES):
        slices = [set(s.slices[k].global_index) for s in streams]
        assert set().union(*slices) == set(range(SIZES[name]))
        assert sum(len(s) for s in slices) == SIZES[name]  # pairwise disjoint
        assert all(len(s) >= SIZES[name] // 4 - 16 for s in slices)  # balanced to a block
    yielded = [[(it.source, it.index) for it in itertools.islice(s.items(), 200)] for s in streams]
    for s, seen in zip(streams, yielded, strict=True):
        own = {(name, g) for k, name in enumerate(SIZES) for g in s.slices[k].global_index}
        assert set(seen) <= own
    sequences = [[src for src, _ in seen[:50]] for seen in yielded]
    assert len({tuple(x) for x in sequences}) == 4  # independent per-stream seeds
    # the same shard always reads the same slice (deterministic across processes)
    again = MixtureStream(config, rank=1, world_size=2, worker_id=0, num_workers=2)
    assert again.slices[0].global_index == streams[2].slices[0].global_index


@pytest.mark.parametrize(("k", "n"), [(0, 50), (137, 400), (700, 1100)])
def test_resume_is_exact(sources: dict[str, str], k: int, n: int) -> None:
    config = _config(sources, seed=9, stopping="infinite")
    straight = [(it.source, it.index, it.epoch) for it in itertools.islice(
        MixtureStream(config, rank=1, world_size=2).items(), n)]
    first = MixtureStream(config, rank=1, world_size=2)
    head = [(it.source, it.index, it.epoch) for it in itertools.islice(first.items(), k)]
    state = orjson.loads(orjson.dumps(first.state_dict()))  # survives JSON (checkpoints)
    resumed = MixtureStream(config, rank=1, world_size=2)
    resumed.load_state_dict(state)
    tail = [(it.source, it.index, it.epoch) for it in itertools.islice(resumed.items(), n - k)]
    assert head + tail == straight
    assert state["step"] == k and sum(state["consumed"].values()) == k


def test_state_of_another_stream_is_refused(sources: dict[str, str]) -> None:
    config = _config(sources)
    state = MixtureStream(config, rank=0, world_size=2).state_dict()
    with pytest.raises(ValueError, match="stream"):
        MixtureStream(config, rank=1, world_size=2).load_state_dict(state)
    with pytest.raises(ValueError, match="different mixture"):
        MixtureStream(_config(sources, seed=99), rank=0, world_size=2).load_state_dict(state)


def test_run_mix_writes_dataset_and_report(sources: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "mix.yaml").write_text(
        "seed: 4\ntemperature: 1.0\nsources:\n"
        + "".join(f"  {name}:\n    uri: {uri}\n    epochs: {e}\n"
                  for (name, uri), e in zip(sources.items(), (1, 2, 3), strict=True))
    )
    config = MixConfig.from_file(tmp_path / "mix.yaml")
    report = run_mix(config, str(tmp_path / "out"), report_dir=tmp_path / "report")
    records = list(read_records(str(tmp_path / "out")))
    assert report.output_records == len(records) >= 720
    assert len({r.id for r in records}) == len(records)
    repeats = [r for r in records if "~e" in r.id]
    assert repeats and all(r.provenance.parents[-1] == r.id.split("~e")[0] for r in repeats)
    assert all(r.provenance.extra["mixture"]["source"] in SIZES for r in records)
    assert report.counts["simple"] >= 300 and abs(report.counts["simple"] / len(records) - 300 / 720) < 0.05
    assert read_manifest(str(tmp_path / "out")).stats["mixture"]["counts"] == report.counts
    assert (tmp_path / "report" / "mix.shares.png").is_file()
    fixed = run_mix(config, str(tmp_path / "fixed"), num_records=100)
    assert fixed.output_records == 100 == sum(fixed.counts.values())


def test_bad_record_in_a_source_names_file_and_line(sources: dict[str, str], tmp_path: Path) -> None:
    good = bfcl_records()[0].model_dump(mode="json")
    write_records(str(tmp_path / "bad"), [good, {**good, "id": "b", "tools": "oops"}])
    config = MixConfig(sources=[MixSource(name="bad", uri=str(tmp_path / "bad"))], shuffle=False)
    with pytest.raises(RecordError) as err:
        list(MixtureStream(config))
    assert err.value.line == 2 and err.value.field.startswith("tools")
