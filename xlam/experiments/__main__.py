"""``python -m xlam.experiments FILE --workdir DIR --stages data,train,eval,report [--only a,b]``.

The core-only entry point (no typer/CLI layer): it is what the GPU runner (scripts/gpu/) calls on a
machine that has torch and transformers but not the control plane's packages.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import yaml

from xlam.experiments.config import STAGES, ExperimentConfig
from xlam.experiments.runner import run_experiment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xlam.experiments")
    parser.add_argument("file")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--only", default="", help="Comma-separated variant names (and 'base').")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ExperimentConfig.model_validate(yaml.safe_load(Path(args.file).read_text()))
    stages = [s for s in args.stages.split(",") if s]
    bad = [s for s in stages if s not in STAGES]
    if bad:
        parser.error(f"unknown stage(s) {bad}; known: {list(STAGES)}")
    only = [s for s in args.only.split(",") if s] or None
    summary = run_experiment(config, args.workdir, stages, only, args.device)  # type: ignore[arg-type]
    if summary:
        json.dump({k: {kk: vv for kk, vv in v.items() if kk != "totals"} for k, v in summary["rows"].items()},
                  sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
