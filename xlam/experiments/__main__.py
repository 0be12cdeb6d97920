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
from xlam.experiments.runner import ExperimentRunner, plans, run_experiment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xlam.experiments")
    parser.add_argument("file")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--only", default="", help="Comma-separated variant names (and 'base').")
    parser.add_argument("--device", default=None)
    parser.add_argument("--check-data", action="store_true",
                        help="Only check that every selected variant's data set is in --workdir (the data key is "
                        "computed by this code: data built by other code has other keys); exit 2 if one is missing.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ExperimentConfig.model_validate(yaml.safe_load(Path(args.file).read_text()))
    stages = [s for s in args.stages.split(",") if s]
    bad = [s for s in stages if s not in STAGES]
    if bad:
        parser.error(f"unknown stage(s) {bad}; known: {list(STAGES)}")
    only = [s for s in args.only.split(",") if s] or None
    if args.check_data:
        return check_data(config, Path(args.workdir), only)
    summary = run_experiment(config, args.workdir, stages, only, args.device)
    if summary:
        json.dump({k: {kk: vv for kk, vv in v.items() if kk != "totals"} for k, v in summary["rows"].items()},
                  sys.stdout, indent=1)
        print()
    return 0


def check_data(config: ExperimentConfig, work: Path, only: list[str] | None) -> int:
    missing = []
    runner = ExperimentRunner(config, work)
    for plan in plans(config):
        if only and plan.name not in only:
            continue
        there = (runner.data_dir(plan) / "dataset" / "manifest.json").is_file()
        if plan.data.get("preference") is not None:  # a DPO stage trains on the pairs built beside the data set
            there = there and (runner.pairs_dir(plan) / "manifest.json").is_file()
        print(f"{plan.name:24} data {plan.data_key} {'ok' if there else 'MISSING'}")
        if not there:
            missing.append(plan.name)
    if missing:
        print(f"error: no data set for {', '.join(missing)} in {work}/data: build it with this code "
              f"(--stages data)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
