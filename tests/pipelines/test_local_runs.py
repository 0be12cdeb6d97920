"""Real local runs of the pipelines with kfp's SubprocessRunner over real BFCL files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.runner import run_local
from pipelines.settings import PipelineSettings
from xlam.datasets import read_manifest, read_records

pytestmark = pytest.mark.slow

SOURCES = [{"inputs": ["bfcl://simple_python", "bfcl://parallel", "bfcl://irrelevance"], "source": "bfcl"}]


def _task_outputs(root: Path, task: str, output: str) -> list[Path]:
    """Dataset directories a task wrote (one per ParallelFor iteration)."""
    return sorted(p for p in root.rglob(output) if task in str(p.parent) and (p / "manifest.json").is_file())


def _hashes(uris: list[Path]) -> set[str]:
    return {r.content_hash() for uri in uris for r in read_records(str(uri))}


def test_data_pipeline_matches_cli_path(tmp_path: Path) -> None:
    root = tmp_path / "kfp"
    run_local("xlam-data", {"sources": SOURCES, "num_shards": 4}, pipeline_root=root, enable_caching=False)

    shards = [p for p in (root).rglob("shard-0000*") if (p / "manifest.json").is_file()]
    assert len(shards) == 4
    verified = _task_outputs(root, "verify", "out")
    assert len(verified) == 4, "one verify output per shard"
    unified_total = sum(read_manifest(str(p)).num_records for p in _task_outputs(root, "unify", "out"))
    assert unified_total == 400 + 200 + 240
    mixed = _task_outputs(root, "mix", "out")
    assert len(mixed) == 1 and read_manifest(str(mixed[0])).num_records > 0
    funnels = list(root.rglob("funnel"))
    assert funnels and "| verify |" in funnels[0].read_text()

    # The plain library path over the same inputs and default configs gives the same records.
    from pipelines.steps import resolve_input
    from xlam.augment import AugmentConfig, run_augment
    from xlam.converters import run_unify
    from xlam.verify import VerifyConfig, run_verify

    plain = tmp_path / "plain"
    run_unify("bfcl", [resolve_input(u) for u in SOURCES[0]["inputs"]], str(plain / "unified"))
    run_augment(str(plain / "unified"), str(plain / "augmented"), AugmentConfig())
    run_verify(str(plain / "augmented"), str(plain / "verified"), VerifyConfig(), rejects_uri=str(plain / "rej"))
    assert _hashes(verified) == _hashes([plain / "verified"])


def test_synthesis_pipeline_with_template_generator(tmp_path: Path) -> None:
    root = tmp_path / "kfp"
    run_local(
        "xlam-synthesis",
        {"tools": "default", "num_batches": 2, "synthesis_config": {"n": 12, "seed": 3}},
        pipeline_root=root,
        enable_caching=False,
    )
    generated = _task_outputs(root, "generate", "out")
    assert len(generated) == 2
    assert sum(read_manifest(str(p)).num_records for p in generated) == 12
    pairs = _task_outputs(root, "preference", "out")
    assert len(pairs) == 1
    records = list(read_records(str(pairs[0])))
    assert records and all(r.rejected is not None for r in records)


def test_failed_component_names_stage_and_shard(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError):
        run_local(
            "xlam-data",
            {"sources": [{"inputs": ["bfcl://simple_python"], "source": "bfcl"}], "num_shards": 2,
             "verify_config": {"no_such_option": True}},
            pipeline_root=tmp_path / "kfp",
            enable_caching=False,
            settings=PipelineSettings(retries=0),  # a config error is permanent; retries only add backoff
        )
    out = capfd.readouterr()
    assert "[stage=verify shard=" in out.out + out.err
    assert "no_such_option" in out.out + out.err


def test_end_to_end_pipeline_trains_evaluates_and_skips_registration(tmp_path: Path) -> None:
    """The whole loop as one local run: data + synthesis -> SFT + DPO (tiny-moe) -> BFCL eval."""
    quick = {"optim": {"max_steps": 3, "warmup_steps": 1, "lr": 1e-3},
             "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"},
             "data": {"max_seq_len": 1024}, "checkpoint": {"every_steps": 3}}
    root = tmp_path / "kfp"
    run_local(
        "xlam-end-to-end",
        {
            "sources": [{"inputs": ["bfcl://simple_python"], "source": "bfcl"}],
            "unify_config": {"limit": 24},
            "num_shards": 2,
            "num_batches": 1,
            "synthesis_config": {"n": 8, "seed": 1},
            "train_config": {"recipe": "tiny-moe", "sft": quick, "dpo": quick},
            "eval_config": {"categories": ["simple_python", "irrelevance"], "limit": 2, "max_tokens": 16},
        },
        pipeline_root=root,
        enable_caching=False,
    )
    models = [p for p in root.rglob("model") if (p / "config.json").is_file()]
    assert len(models) == 1
    summary = (models[0] / "training_summary.json").read_text()
    assert '"method": "sft"' in summary and '"method": "dpo"' in summary
    results = [p for p in root.rglob("results") if (p / "summary.json").is_file()]
    assert len(results) == 1
