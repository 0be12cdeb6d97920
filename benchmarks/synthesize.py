"""Synthesis throughput with the template generator, pinned to one core.

Three measurements in one run, on the same tool library and seed:

1. **drafting only** (the baseline): the template generator composing candidates (tool and value
   sampling, phrasing), no checks;
2. **format checks**: drafting + the format stage (schema validation + ``xlam.verify`` rules);
3. **verified**: the full pipeline (format -> sandboxed execution -> semantic rules), writing the
   dataset: what ``xlam data synthesize --generator template`` does.

The process (and so its sandbox children) is pinned to CPU 0 with ``sched_setaffinity``.

    .venv/bin/python benchmarks/synthesize.py [--n 1000] [--write docs/BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import random
import re
import tempfile
import time
from pathlib import Path

from xlam.synthesis import ALL_STYLES, SynthesisConfig, Synthesizer, checks, load_tool_library, run_synthesis
from xlam.synthesis.drafts import DraftError, TemplateDrafter


def drafting(n: int, seed: int) -> float:
    library = load_tool_library("default")
    drafter = TemplateDrafter(library, SynthesisConfig(seed=seed))
    rng = random.Random(seed)
    made = 0
    started = time.perf_counter()
    while made < n:
        try:
            drafter.draft(rng.choice(ALL_STYLES), rng)
            made += 1
        except DraftError:
            pass
    return n / (time.perf_counter() - started)


def format_checked(n: int, seed: int) -> float:
    library = load_tool_library("default")
    synth = Synthesizer(library, SynthesisConfig(seed=seed))
    drafter = TemplateDrafter(library, synth.config)
    rng = random.Random(seed)
    started = time.perf_counter()
    drafts = []
    while len(drafts) < n:
        with contextlib.suppress(DraftError):
            drafts.append(drafter.draft(rng.choice(ALL_STYLES), rng))
    shaped = [d for d in drafts if not checks.format_check(d)]
    from xlam.synthesis.runner import _record

    synth.rules.issues([_record(d, None, [], "bench") for d in shaped])
    return n / (time.perf_counter() - started)


def verified(n: int, seed: int, work: Path) -> tuple[float, object]:
    started = time.perf_counter()
    report = run_synthesis("default", str(work / "out"), SynthesisConfig(n=n, seed=seed),
                           rejects_uri=str(work / "rejects"))
    return report.output_records / (time.perf_counter() - started), report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", type=Path, default=None, help="Update the '## Synthesis' section of this file.")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    load_tool_library("default")  # warm imports; not part of any rate
    base = drafting(args.n, args.seed)
    fmt = format_checked(args.n, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        rate, report = verified(args.n, args.seed, Path(tmp))
    table = "\n".join(line for line in checks_table(report).splitlines())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    section = f"""## Synthesis

Template-generator synthesis pinned to one core (`sched_setaffinity`; the sandbox children inherit it),
{args.n} samples, seed {args.seed}, the built-in 206-tool catalog, all six styles.

- Date: {dt.date.today().isoformat()}. Machine: CI kind: 2-core x86-64, 24 GiB ({platform.processor() or platform.machine()},
  CPython {platform.python_version()}); load average {load:.1f} during the run (shared machine).
- Command: `.venv/bin/python benchmarks/synthesize.py --n {args.n} --write docs/BENCHMARKS.md`

| pipeline | samples/s |
|---|---:|
| drafting only, no checks (baseline) | {base:,.0f} |
| drafting + format checks (schema + `xlam.verify` rules) | {fmt:,.0f} |
| **verified** (format -> sandboxed execution -> semantic, dataset written) | **{rate:,.1f}** |

Verified throughput is {rate / base:.3f} of the drafting baseline: the cost is the execution
checker's sandbox (one fresh, resource-limited subprocess per batch of 128 candidates, importing the
tool modules) and the rule checks. Funnel of the verified run:

{table}
"""
    print(section)
    if args.write:
        text = args.write.read_text() if args.write.exists() else "# Benchmarks\n"
        if "## Synthesis" in text:
            text = re.sub(r"## Synthesis\n.*?(?=\n## |\Z)", section.rstrip() + "\n", text, flags=re.DOTALL)
        else:
            text = text.rstrip() + "\n\n" + section
        args.write.write_text(text)


def checks_table(report: object) -> str:
    from xlam.synthesis import pass_rate_table

    return pass_rate_table(report)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
