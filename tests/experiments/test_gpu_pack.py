"""The lent-GPU runner's packing (scripts/gpu/pack.sh) and its unpacking on the device (unpack_data.py).

Every GPU number of docs/QUALITY.md went through these two scripts, and the device cannot be reached from a
test: so the CPU half is checked here on a real (tiny) experiment, in a throw-away git repository holding a
copy of the code (pack.sh archives the committed code and checks the data keys against it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from xlam.experiments import ExperimentConfig, plans

ROOT = Path(__file__).resolve().parents[2]

EXPERIMENT = {
    "name": "pack-check",
    "data": {"synthesis": {"n": 16, "styles": ["simple", "irrelevance"]}, "dedup": {}},
    "train": {"model": {"recipe": "tiny"}},
    "variants": [{"name": "unverified", "description": "verification off", "overrides": {"data.verify": False}}],
}


def _repo(tmp_path: Path) -> Path:
    """A git repository with the code as pack.sh needs it: xlam/, experiments/ and scripts/gpu/, committed."""
    repo = tmp_path / "repo"
    for part in ("xlam", "experiments", "scripts/gpu"):
        shutil.copytree(ROOT / part, repo / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "code"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    return repo


def _pack(repo: Path, work: Path, experiment: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GPU_DIR": str(out), "WHEELS": "0", "PY": sys.executable, "EXPERIMENT": str(experiment)}
    env.pop("ONLY", None)
    return subprocess.run(["bash", "scripts/gpu/pack.sh", str(work)], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_pack_splits_the_model_archives_the_code_and_ships_every_data_set(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts" / "gpu"))
    try:
        from unpack_data import unpack
    finally:
        sys.path.pop(0)
    repo = _repo(tmp_path)
    experiment = tmp_path / "pack-check.yaml"
    experiment.write_text(yaml.safe_dump(EXPERIMENT))
    work = tmp_path / "work"
    subprocess.run([sys.executable, "-m", "xlam.experiments", str(experiment), "--workdir", str(work),
                    "--stages", "data"], cwd=repo, check=True, capture_output=True, timeout=600)
    keys = sorted({p.data_key for p in plans(ExperimentConfig.model_validate(EXPERIMENT))})
    assert len(keys) == 2  # verification on and off: two data sets

    out = tmp_path / "gpu"
    done = _pack(repo, work, experiment, out)
    assert done.returncode == 0, done.stderr
    assert "c4 holds" not in done.stdout and not (out / "c4").exists()

    # The model: two parts that reassemble to the file its sha256 names.
    digest, name = (out / "c2" / "model.sha256").read_text().split()
    whole = (out / "c1" / "model.part1").read_bytes() + (out / "c2" / "model.part2").read_bytes()
    assert name.endswith(".gguf") and hashlib.sha256(whole).hexdigest() == digest
    # The code as committed in that repository.
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True)
    assert (out / "c2" / "src.commit").read_text().strip() == head.stdout.strip()
    with tarfile.open(out / "c2" / "src.tar.gz") as tar:
        names = tar.getnames()
    assert "xlam/experiments/__main__.py" in names and "scripts/gpu/pack.sh" not in names

    # One xz archive per data set, unpacked on the device into exactly the files built here.
    archives = sorted(p.name for p in (out / "c3").glob("data-*.tar.xz"))
    assert archives == [f"data-{k}.tar.xz" for k in keys]
    store = tmp_path / "store"
    shutil.copytree(out / "c3", store)
    device_work = tmp_path / "device-work"
    assert unpack(store, device_work) == archives
    assert not list(store.glob("data*.tar.xz"))  # removed: a later call does not unpack them again
    for key in keys:
        built = sorted(p.relative_to(work) for p in (work / "data" / key).rglob("*")
                       if p.is_file() and (p.name == "recipe.json" or "dataset" in p.parts))
        shipped = sorted(p.relative_to(device_work) for p in (device_work / "data" / key).rglob("*") if p.is_file())
        assert built and shipped == built
        assert all((device_work / p).read_bytes() == (work / p).read_bytes() for p in built)
    assert unpack(store, device_work) == []

    # A variant whose data set was not built (e.g. data from uncommitted edits: another key) stops the packing.
    missing = {**EXPERIMENT, "variants": [*EXPERIMENT["variants"], {
        "name": "more", "description": "a data set never built", "overrides": {"data.synthesis.n": 17}}]}
    experiment.write_text(yaml.safe_dump(missing))
    refused = _pack(repo, work, experiment, out)
    assert refused.returncode != 0 and "more" in refused.stdout + refused.stderr
