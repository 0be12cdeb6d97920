"""Pipeline steps of the synthesis half: tool library, generation per batch, preference pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.steps import guarded
from xlam.reports import StageReport

TOOLS_FILE = "tools.jsonl"


def tool_library(spec: str, num_batches: int, out_path: str) -> tuple[StageReport, list[int]]:
    """Resolve the tools source and store its executable registry as the ``tools`` artifact."""
    from xlam.synthesis import load_tool_library

    def run() -> tuple[StageReport, list[int]]:
        if num_batches < 1:
            raise ValueError("num_batches must be >= 1")
        library = load_tool_library(spec)
        Path(out_path).mkdir(parents=True, exist_ok=True)
        if len(library.registry):
            library.registry.to_jsonl(str(Path(out_path) / TOOLS_FILE))
        (Path(out_path) / "source.txt").write_text(spec)
        report = StageReport(stage="tools", input_records=len(library), output_records=len(library.registry))
        report.groups["tools_by_category"] = {k: len(v) for k, v in sorted(library.by_category.items())}
        return report, list(range(num_batches))

    return guarded("tools", run)


def _tools_spec(tools_path: str) -> str:
    registry = Path(tools_path) / TOOLS_FILE
    return str(registry) if registry.is_file() else (Path(tools_path) / "source.txt").read_text()


def generate(tools_path: str, batch: int, num_batches: int, config: dict[str, Any], out_path: str,
             rejects_path: str) -> StageReport:
    """Synthesize this batch's share of ``config['n']`` samples with a batch-specific seed."""
    from xlam.synthesis import SynthesisConfig, run_synthesis

    def run() -> StageReport:
        cfg = SynthesisConfig.model_validate(config)
        share = cfg.n // num_batches + (1 if batch < cfg.n % num_batches else 0)
        cfg = cfg.model_copy(update={"n": max(1, share), "seed": cfg.seed * 1_000_003 + batch})
        return run_synthesis(_tools_spec(tools_path), out_path, cfg, rejects_uri=rejects_path)

    return guarded("generate", run, shard=batch)


def preference(in_paths: list[str], config: dict[str, Any], out_path: str) -> StageReport:
    from xlam.preference import PreferenceConfig, run_preference

    cfg = PreferenceConfig.model_validate(config)
    return guarded("preference", lambda: run_preference(list(in_paths), out_path, cfg))
