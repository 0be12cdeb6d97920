"""``run_synthesis``: sample -> generate -> format -> execution -> semantic -> verified records.

Verified samples are written (atomically) with provenance: generator, prompt template, seed ids,
offered and called tools, checks passed and each call's execution result (also filled into the
steps' observations); they join the seed pool that later prompts draw from. Rejected samples go
to ``rejects_uri`` with the failing stage and reasons. The report holds APIGen's Table 1: per
generator, how many candidates failed format, execution and semantic checks, and the pass rate.
"""

from __future__ import annotations

import random
import sys
import time
import urllib.parse
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.progress import Progress

from xlam.datasets import DatasetWriter, read_records
from xlam.formats import FormatParseError
from xlam.records import Provenance, Record, Step
from xlam.reports import StageReport
from xlam.synthesis import checks
from xlam.synthesis.config import SynthesisConfig
from xlam.synthesis.drafts import Draft, DraftError, TemplateDrafter
from xlam.synthesis.library import ToolLibrary, load_tool_library
from xlam.synthesis.naming import rename_tools
from xlam.synthesis.numbers import whole_numbers_as_int
from xlam.synthesis.rates import DECIMAL_SHARE, percent_as_fraction
from xlam.tools.registry import ToolRegistry
from xlam.tools.sandbox import ExecutionResult, SandboxLimits


class SeedPool:
    """Verified examples that prompts draw from; new verified samples are added back (bounded)."""

    def __init__(self, capacity: int, initial: list[Record] | None = None) -> None:
        self.records: deque[Record] = deque(initial or [], maxlen=capacity)
        self.added = 0

    def add(self, record: Record) -> None:
        self.records.append(record)
        self.added += 1

    def sample(self, rng: random.Random, k: int) -> list[Record]:
        return rng.sample(list(self.records), min(k, len(self.records))) if k > 0 else []

    def __len__(self) -> int:
        return len(self.records)


def _limits(config: SynthesisConfig, registry: ToolRegistry) -> SandboxLimits:
    """Sandbox limits that let REST tools reach exactly their allow-listed base URLs."""
    bases = list(config.rest_allow_list) or sorted(
        {str(t.endpoint["base_url"]) for t in registry if t.kind == "rest" and t.endpoint})
    if not bases:
        return config.sandbox
    hosts = {urllib.parse.urlsplit(b).hostname or "" for b in bases} - {""}
    return config.sandbox.model_copy(update={"allow_hosts": sorted(hosts) + bases})


_INT64 = 2**63


def _json_safe(value: Any) -> Any:
    """Observations as storable JSON: integers beyond 64 bits become their decimal text."""
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return str(value)
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def _record(draft: Draft, results: list[ExecutionResult] | None, passed: list[str], source: str) -> Record:
    steps: list[Step] = []
    cursor = 0
    execution: list[dict[str, Any]] = []
    for step in draft.steps:
        filled = step.model_copy(deep=True)
        if results is not None and step.tool_calls:
            chunk = results[cursor:cursor + len(step.tool_calls)]
            cursor += len(step.tool_calls)
            filled.observations = [_json_safe(r.value) if r.ok else {"error": r.error_class, "message": r.message} for r in chunk]
            execution += [{"name": c.name, "ok": r.ok, "error_class": r.error_class, "seconds": round(r.seconds, 6)}
                          for c, r in zip(step.tool_calls, chunk, strict=False)]
        steps.append(filled)
    gold = draft.gold_calls()
    record = Record(
        id="pending", source=source, category=draft.category, tools=draft.tools, query=draft.query, steps=steps,
        ground_truth=checks.ground_truth(gold, draft.tools),
        provenance=Provenance(
            parents=list(draft.seed_ids), generator=draft.generator, checks=list(passed),
            transformations=[f"synthesize(style={draft.style},template={draft.template})"],
            extra={"style": draft.style, "template": draft.template, "seed_ids": list(draft.seed_ids),
                   "tools": [t.name for t in draft.tools], "called": sorted({c.name for c in draft.all_calls()}),
                   "execution": execution, **draft.extra},
        ),
    )
    return record.with_content_id()


def _reject(draft: Draft, outcome: checks.Outcome, source: str) -> Record:
    record = _record(draft, outcome.results or None, outcome.passed, source)
    meta = {"rejected_stage": outcome.failed_stage, "reasons": outcome.reasons}
    if draft.raw:
        meta["raw"] = draft.raw[:4000]
    return record.model_copy(update={"meta": meta})


class Synthesizer:
    """Stateful generation loop (tools, samplers, seed pool); :func:`run_synthesis` drives it."""

    def __init__(self, library: ToolLibrary, config: SynthesisConfig, seeds: list[Record] | None = None) -> None:
        self.library = library
        self.config = config
        self.rng = random.Random(config.seed)
        self.pool = SeedPool(config.seed_pool_size, seeds)
        self.limits = _limits(config, library.registry)
        self.template = TemplateDrafter(library, config)
        self.generator: Any = None
        self.generator_name = "template"
        if config.generator.backend != "template":
            from xlam.generators import create_generator

            self.generator = create_generator(config.generator)
            self.generator_name = f"{config.generator.backend}:{config.generator.model or 'default'}"
        self.rules = checks.RuleChecker()
        self.judge: Any = None
        if self.generator is not None and config.semantic_judge is not None:
            from xlam.generators import create_generator

            self.judge = create_generator(config.semantic_judge)
        weights = [config.style_weights.get(s, 1.0) for s in config.styles]
        self.styles, self.weights = list(config.styles), weights
        self.sampler_errors = 0
        self.seen_queries: set[str] = set()

    def _drafts(self, count: int) -> tuple[list[Draft], list[tuple[Draft, checks.Outcome]]]:
        """``count`` candidates, plus those that already failed to parse (format stage)."""
        styles = self.rng.choices(self.styles, self.weights, k=count)
        drafts: list[Draft] = []
        failed: list[tuple[Draft, checks.Outcome]] = []
        if self.generator is None:
            for style in styles:
                seed = None
                if len(self.pool) and self.rng.random() < self.config.seed_reuse_rate:
                    seed = self.pool.sample(self.rng, 1)[0]
                for _ in range(5):
                    try:
                        drafts.append(self.template.draft(style, self.rng, seed=seed))
                        break
                    except DraftError:
                        self.sampler_errors += 1
            return drafts, failed
        from xlam.synthesis import llm

        plans = []
        for style in styles:
            tools = llm.sample_tools(style, self.library, self.config, self.rng)
            seeds = self.pool.sample(self.rng, self.config.seed_examples)
            template = self.rng.choice(self.config.prompt_templates or ["formal"])
            plans.append((style, tools, seeds, template, llm.build_request(style, tools, seeds, template,
                                                                           self.config, self.rng)))
        responses = self.generator.generate([p[4] for p in plans])
        for (style, tools, seeds, template, _req), resp in zip(plans, responses, strict=True):
            try:
                drafts.append(llm.draft_from_response(resp.text, style, tools, self.generator_name, template, seeds))
            except (FormatParseError, ValueError) as exc:
                bad = Draft(style, "", [t.tool for t in tools], [], self.generator_name, template,
                            [s.id for s in seeds], raw=resp.text)
                outcome = checks.Outcome()
                outcome.fail("format", [f"unparseable:{str(exc)[:120]}"])
                failed.append((bad, outcome))
        return drafts, failed

    def step(self, count: int) -> Iterator[tuple[Draft, checks.Outcome, Record]]:
        """Generate and check ``count`` candidates; yields (draft, outcome, record) for each."""
        drafts, failed = self._drafts(count)
        for bad, outcome in failed:
            yield bad, outcome, _reject(bad, outcome, self.config.source)
        outcomes = [checks.Outcome() for _ in drafts]
        for draft, outcome in zip(drafts, outcomes, strict=True):
            issues = checks.format_check(draft)
            if issues:
                outcome.fail("format", issues)
        shaped = [i for i, o in enumerate(outcomes) if o.ok]
        rule_issues = self.rules.issues([_record(drafts[i], None, [], self.config.source) for i in shaped])
        for i, issues in zip(shaped, rule_issues, strict=True):
            if issues:
                outcomes[i].fail("format", issues)
            else:
                outcomes[i].passed.append("format")
        alive = [i for i, o in enumerate(outcomes) if o.ok]
        if self.config.execute:
            results = checks.execution_check([drafts[i] for i in alive], self.library.registry, self.limits)
            for i, res in zip(alive, results, strict=True):
                if res is None:
                    outcomes[i].passed.append("execution:skipped")
                    continue
                outcomes[i].results = res
                errors = [f"{r.error_class}@{c.name}: {r.message[:160]}" for c, r in zip(drafts[i].all_calls(), res, strict=False)
                          if not r.ok]
                if errors:
                    outcomes[i].fail("execution", errors)
                else:
                    outcomes[i].passed.append("execution")
        for i in [i for i in alive if outcomes[i].ok]:
            issues = checks.semantic_rule_check(drafts[i], outcomes[i].results or None)
            key = " ".join(drafts[i].query.lower().split())
            if self.config.unique_queries and key in self.seen_queries:
                issues.append("duplicate_query")
            if issues:
                outcomes[i].fail("semantic", issues)
        survivors = [i for i in alive if outcomes[i].ok]
        records = {i: _record(drafts[i], outcomes[i].results or None, [*outcomes[i].passed, "semantic"],
                              self.config.source) for i in survivors}
        if self.judge is not None and survivors:
            verdicts = checks.judge_check([records[i] for i in survivors], self.judge)
            for i, issues in zip(survivors, verdicts, strict=True):
                if issues:
                    outcomes[i].fail("semantic", issues)
        for i, (draft, outcome) in enumerate(zip(drafts, outcomes, strict=True)):
            if outcome.ok:
                outcome.passed.append("semantic")
                record = records[i]
                self.seen_queries.add(" ".join(draft.query.lower().split()))
                self.pool.add(record)
                yield draft, outcome, record
            else:
                yield draft, outcome, _reject(draft, outcome, self.config.source)


def pass_rate_table(report: StageReport) -> str:
    """APIGen Table 1 (Markdown) from a synthesis report's funnels."""
    lines = ["| generator | generated | verified | failed format | failed exec | failed semantic | pass rate |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, row in report.groups.items():
        if not name.startswith("funnel:"):
            continue
        gen = row.get("generated", 0)
        rate = row.get("verified", 0) / gen if gen else 0.0
        lines.append(f"| {name.removeprefix('funnel:')} | {gen} | {row.get('verified', 0)} | "
                     f"{row.get('failed_format', 0)} | {row.get('failed_execution', 0)} | "
                     f"{row.get('failed_semantic', 0)} | {rate:.2%} |")
    return "\n".join(lines)


def run_synthesis(tools: str | ToolRegistry | ToolLibrary | None, out_uri: str, config: SynthesisConfig | None = None,
                  *, rejects_uri: str | None = None, report_dir: str | Path | None = None,
                  overwrite: bool = False) -> StageReport:
    """Synthesize ``config.n`` verified samples from ``tools`` (or ``config.tools``) into ``out_uri``."""
    config = config or SynthesisConfig()
    if config.mode == "multi_turn":  # APIGen-MT over xlam.envs (pipelines and the control plane come through here)
        from xlam.synthesis.multi_turn.runner import run_multi_turn_synthesis

        return run_multi_turn_synthesis(out_uri, config.multi_turn_config(), rejects_uri=rejects_uri,
                                        report_dir=report_dir, overwrite=overwrite)
    started = time.perf_counter()
    library = load_tool_library(tools if tools is not None else config.tools, base_url=config.base_url)
    seeds = list(read_records(config.seed_uri)) if config.seed_uri else []
    synth = Synthesizer(library, config, seeds)
    report = StageReport(stage="synthesize", output_uri=out_uri, rejects_uri=rejects_uri,
                         config=config.model_dump(mode="json"))
    funnel = report.groups.setdefault(f"funnel:{synth.generator_name}", {})
    by_style = report.groups.setdefault("verified_by_style", {})
    max_attempts = config.max_attempts or 6 * config.n
    naming_rng = random.Random(f"{config.seed}:names")
    rates_rng = random.Random(f"{config.seed}:rates")
    categories = {e.name: e.category for e in library.entries}
    command = f"synthesize --generator {config.generator.backend} --n {config.n} --seed {config.seed}"
    with ExitStack() as stack:
        out = stack.enter_context(DatasetWriter(out_uri, source=config.source, command=command, overwrite=overwrite))
        rej = stack.enter_context(DatasetWriter(rejects_uri, source=config.source, command=command,
                                                overwrite=overwrite)) if rejects_uri else None
        progress = stack.enter_context(Progress(transient=True, disable=not sys.stderr.isatty()))
        task = progress.add_task("synthesizing", total=config.n)
        while out.count < config.n and report.input_records < max_attempts:
            want = min(config.batch_size, max(1, int((config.n - out.count) * 1.3)), max_attempts - report.input_records)
            for draft, outcome, record in synth.step(want):
                if outcome.ok and out.count >= config.n:
                    continue  # surplus of the last batch: not needed, not counted
                report.input_records += 1
                funnel["generated"] = funnel.get("generated", 0) + 1
                if outcome.ok:
                    if config.percent_rate > 0 and rates_rng.random() < DECIMAL_SHARE:
                        record = percent_as_fraction(record, rates_rng)
                    if naming_rng.random() < config.namespace_rate:
                        record = rename_tools(record, categories, naming_rng)
                    if config.whole_numbers == "int":
                        record = whole_numbers_as_int(record)
                    out.write(record)
                    report.output_records += 1
                    funnel["verified"] = funnel.get("verified", 0) + 1
                    by_style[draft.style] = by_style.get(draft.style, 0) + 1
                    progress.advance(task)
                elif not outcome.ok:
                    report.rejected_records += 1
                    stage = outcome.failed_stage or "unknown"
                    funnel[f"failed_{stage}"] = funnel.get(f"failed_{stage}", 0) + 1
                    codes = {r.split("@")[0] if stage == "execution" else r.split(":")[0] for r in outcome.reasons}
                    for code in sorted(codes):  # once per sample and reason code
                        report.bump(f"{stage}:{code}")
                    if rej is not None:
                        rej.write(record)
    report.groups["sampler"] = {"template_retries": synth.sampler_errors, "seed_pool_size": len(synth.pool),
                                "seeds_added": synth.pool.added}
    report.seconds = time.perf_counter() - started
    report.notes.append("APIGen Table 1 (per generator):\n\n" + pass_rate_table(report))
    if report.output_records < config.n:
        report.notes.append(f"stopped after {report.input_records} candidates (max_attempts) with "
                            f"{report.output_records}/{config.n} verified")
    if report_dir is not None:
        report.write(report_dir)
    return report


__all__ = ["SeedPool", "Synthesizer", "pass_rate_table", "run_synthesis"]
