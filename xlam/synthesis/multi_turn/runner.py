"""``run_multi_turn_synthesis``: blueprints (phase 1) -> simulated dialogues (phase 2) -> verified records.

Everything runs in process: the environments are our own trusted Python classes, so a dialogue's
calls execute (and replay) in microseconds, without the sandbox subprocess single-turn synthesis
needs for arbitrary tools. Outputs are written atomically (``DatasetWriter``): a run that fails
leaves nothing behind. The report has the funnel per stage (overall and per environment), the
rejections per reason, the turn kinds and the turns-per-dialogue histogram (PNG).
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.progress import Progress

from xlam.datasets import DatasetWriter
from xlam.envs import ENVIRONMENTS, environment_tools
from xlam.errors import RecordError
from xlam.records import LATEST_SCHEMA_VERSION, SCHEMA_VERSION, EnvironmentSnapshot, Provenance, Record, Step
from xlam.reports import StageReport
from xlam.synthesis.multi_turn.blueprints import (
    Blueprint,
    Outcome,
    SamplingError,
    check_blueprint,
    sample_blueprint,
)
from xlam.synthesis.multi_turn.config import MultiTurnConfig
from xlam.synthesis.multi_turn.mixed import (
    mixed_name,
    offered_tools,
    sample_distractors,
    sample_mixed_blueprint,
    system_prompt,
)
from xlam.synthesis.multi_turn.tasks import DOMAINS
from xlam.synthesis.multi_turn.trajectories import UserTurn, assemble, check_trajectory, simulate

STAGES = ("blueprint:format", "blueprint:execution", "blueprint:semantic", "trajectory:format",
          "trajectory:grounding", "trajectory:replay")
REPHRASE_SYSTEM = ("You rewrite messages that a customer sends to a support agent. Keep the meaning and keep "
                   "every listed value exactly as written. Reply with the rewritten message only.")


def _reject_record(bp: Blueprint, outcome: Outcome, source: str, tools: list[Any]) -> Record:
    """A rejected blueprint as a record (its calls as steps, observations where they ran)."""
    steps = [Step(tool_calls=list(group)) for t in bp.tasks for group in t.calls]
    record = Record(id="pending", schema_version=LATEST_SCHEMA_VERSION if bp.mixed else SCHEMA_VERSION, source=source,
                    tools=tools, query=bp.goal(), steps=steps,
                    environment=EnvironmentSnapshot(name=bp.env, initial_state=bp.initial_state,
                                                    components=bp.components if bp.mixed else None),
                    provenance=Provenance(
                        checks=list(outcome.passed), extra={"blueprint_id": bp.id, "tasks": [t.kind for t in bp.tasks]}),
                    meta={"rejected_stage": outcome.failed_stage, "reasons": outcome.reasons[:20]})
    return record.with_content_id()


class MultiTurnSynthesizer:
    """Samples, checks and simulates dialogues; :func:`run_multi_turn_synthesis` drives it."""

    def __init__(self, config: MultiTurnConfig) -> None:
        self.config = config
        self.rng = random.Random(f"mt:{config.seed}")
        self.tools = {name: environment_tools(name) for name in config.environments}
        self.offered: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
        self.weights = [config.environment_configs[e].weight if e in config.environment_configs else 1.0
                        for e in config.environments]
        self.generator: Any = None
        self.generator_name = "template"
        if config.generator.backend != "template":
            from xlam.generators import create_generator

            self.generator = create_generator(config.generator)
            self.generator_name = f"{config.generator.backend}:{config.generator.model or 'default'}"
        self.attempts = 0
        self.rephrase_stats: Counter[str] = Counter()
        self.sampled: Counter[str] = Counter()
        self.verified: Counter[str] = Counter()

    def close(self) -> None:
        if self.generator is not None:
            self.generator.close()

    def blueprints(self, count: int) -> list[tuple[Blueprint | None, str, str]]:
        """``count`` sampled blueprints as (blueprint or None, environment, sampling error)."""
        out: list[tuple[Blueprint | None, str, str]] = []
        pending: Counter[str] = Counter()
        for _ in range(count):
            self.attempts += 1
            env = self._next_environment(pending)
            pending[env] += 1
            self.sampled[env] += 1
            rng = random.Random(f"{self.config.seed}:{self.attempts}")
            bp_id = f"bp-{self.config.seed}-{self.attempts}"
            others = [e for e in self.config.environments if e != env]
            if self.config.mixed_rate > 0 and others and rng.random() < self.config.mixed_rate:
                envs = [env, *rng.sample(others, min(self.config.mixed_size - 1, len(others)))]
                try:
                    bp = sample_mixed_blueprint(envs, rng, self.config, bp_id)
                    bp.primary = env
                    out.append((bp, bp.env, ""))
                except SamplingError as exc:
                    out.append((None, mixed_name(envs), str(exc)))
                continue
            try:
                out.append((sample_blueprint(env, rng, self.config, bp_id), env, ""))
            except SamplingError as exc:
                out.append((None, env, str(exc)))
        return out

    def tools_for(self, env: str) -> list[Any]:
        if env not in self.tools:
            self.tools[env] = environment_tools(env)
        return self.tools[env]

    def offered_for(self, bp: Blueprint) -> list[Any]:
        """The tools the dialogue offers: its environment's, plus the distractor environments' whole tool sets."""
        if not bp.distractors:
            return self.tools_for(bp.env)
        key = (bp.env, tuple(bp.distractors))
        if key not in self.offered:
            self.offered[key] = offered_tools(bp.components, bp.distractors)
        return self.offered[key]

    def draw_distractors(self, bp: Blueprint) -> None:
        """``config.distractor_environments`` other environments for ``bp`` (an rng of their own, seeded by
        the blueprint id, so the rest of the dialogue is what it is without them)."""
        if self.config.distractor_environments and not bp.distractors:
            rng = random.Random(f"{self.config.seed}:{bp.id}:distractors")
            bp.distractors = sample_distractors(bp.components, self.config.distractor_environments, rng)

    def _next_environment(self, pending: Counter[str]) -> str:
        """The environment furthest below its share of verified dialogues (counting this batch's pending
        blueprints at the yield seen so far), so the output follows the weights whatever each yields."""
        def expected(env: str) -> float:
            done = self.sampled[env] - pending[env]
            rate = (self.verified[env] + 1) / (done + 1.25)
            return (self.verified[env] + pending[env] * rate) / self.weights[self.config.environments.index(env)]

        return min(self.config.environments, key=lambda e: (expected(e), self.rng.random()))

    def run_batch(self, batch: list[Blueprint], seeds: list[int] | None = None) -> list[tuple[Blueprint, Outcome, Record]]:
        """Check blueprints, simulate the survivors' dialogues (one LLM batch) and check the dialogues."""
        results: list[tuple[Blueprint, Outcome, Record]] = []
        alive: list[tuple[Blueprint, Outcome, list[UserTurn], list[Step], list[str]]] = []
        for i, bp in enumerate(batch):
            tools = self.tools_for(bp.env)
            outcome = check_blueprint(bp, tools)
            if not outcome.ok:
                results.append((bp, outcome, _reject_record(bp, outcome, self.config.source, tools)))
                continue
            seed = seeds[i] if seeds is not None else self.rng.randrange(2**31)
            self.draw_distractors(bp)
            users, steps, kinds = simulate(bp, self.offered_for(bp), random.Random(seed),
                                           deviation_rate=self.config.user_deviation_rate)
            alive.append((bp, outcome, users, steps, kinds))
        rephrased = self._rephrase([a[2] for a in alive]) if self.generator is not None else [0] * len(alive)
        for (bp, outcome, users, steps, kinds), n_rephrased in zip(alive, rephrased, strict=True):
            tools = self.offered_for(bp)
            system = system_prompt(bp.offered_environments) if bp.mixed or bp.distractors else DOMAINS[bp.env].system
            record = assemble(bp, users, steps, kinds, tools, task_instruction=system,
                              generator=self.generator_name, source=self.config.source, rephrased=n_rephrased)
            checked = check_trajectory(record, bp)
            outcome.passed += checked.passed
            if not checked.ok:
                outcome.fail(checked.failed_stage or "trajectory", checked.reasons)
                record = record.model_copy(update={"meta": {"rejected_stage": outcome.failed_stage,
                                                            "reasons": outcome.reasons[:20]}})
            record.provenance.checks = list(outcome.passed)
            results.append((bp, outcome, record))
        return results

    def _rephrase(self, dialogues: list[list[UserTurn]]) -> list[int]:
        """LLM rephrasing of every user turn; a rewrite that loses a value keeps the template text."""
        from xlam.generators.base import ChatRequest

        flat = [(d, t) for d, turns in enumerate(dialogues) for t in turns]
        requests = []
        for _, turn in flat:
            keep = "; ".join(turn.keep) if turn.keep else "(none)"
            prompt = f"Values to keep exactly: {keep}\n\nMessage: {turn.text}"
            requests.append(ChatRequest.from_prompt(prompt, system=REPHRASE_SYSTEM, max_tokens=160, temperature=0.7,
                                                    seed=self.rng.randrange(2**31)))
        counts = [0] * len(dialogues)
        responses = self.generator.generate(requests) if requests else []
        for (d, turn), resp in zip(flat, responses, strict=True):
            text = (resp.text or "").strip().strip('"').strip()
            if resp.ok and 0 < len(text) <= 600 and all(k.lower() in text.lower() for k in turn.keep):
                turn.text = text
                counts[d] += 1
                self.rephrase_stats["rephrased"] += 1
            else:
                self.rephrase_stats["kept_template"] += 1
        return counts


def _bump(report: StageReport, env: str, key: str) -> None:
    for group in ("funnel", f"funnel:{env}"):
        table = report.groups.setdefault(group, {})
        table[key] = table.get(key, 0) + 1


def _account(report: StageReport, env: str, outcome: Outcome) -> None:
    """Funnel: how many reached and passed each stage; per-reason counts for the failing stage."""
    _bump(report, env, "sampled")
    for stage in outcome.passed:
        _bump(report, env, f"passed {stage.removesuffix(':partial')}")
    if outcome.failed_stage:
        _bump(report, env, f"failed {outcome.failed_stage}")
        codes = sorted({reason_code(outcome.failed_stage, r) for r in outcome.reasons})
        for code in codes:
            report.bump(f"{outcome.failed_stage}:{code}")


def reason_code(stage: str, reason: str) -> str:
    """A reason without its instance details: ``ToolError@cancel_order``, ``missing_change:orders``,
    ``unsupported_value:withdraw.amount``."""
    if stage.endswith("execution") and "@" in reason:
        error, _, rest = reason.partition("@")
        return f"{error}@{rest.split('(')[0]}"
    parts = reason.split(" (")[0].split("@")[0].split(":")
    if len(parts) < 2 or not parts[1]:
        return parts[0]
    path = parts[1].split("/")
    head = "/".join(path[:2]) if path[0] in ENVIRONMENTS and len(path) > 1 else path[0]  # mixed: component/key
    return f"{parts[0]}:{head}"


def funnel_table(report: StageReport) -> str:
    """Markdown funnel: rows per environment, columns per stage (passed counts) and verified."""
    envs = sorted(k.removeprefix("funnel:") for k in report.groups if k.startswith("funnel:"))
    head = "| environment | sampled | no goal | " + " | ".join(STAGES) + " | verified | yield |"
    lines = [head, "|---|" + "---:|" * (len(STAGES) + 4)]
    for env in [*envs, "all"]:
        row = report.groups.get("funnel" if env == "all" else f"funnel:{env}", {})
        sampled = row.get("sampled", 0)
        verified = row.get("verified", 0)
        cells = [str(row.get(f"passed {s}", 0)) for s in STAGES]
        lines.append(f"| {env} | {sampled} | {row.get('failed sampling', 0)} | " + " | ".join(cells) + f" | {verified} | "
                     f"{verified / sampled if sampled else 0:.1%} |")
    return "\n".join(lines)


def turns_histogram(hist: dict[str, int], path: Path) -> Path:
    from xlam.reports.charts import pyplot

    plt = pyplot()
    keys = sorted(hist, key=int)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    bars = ax.bar([int(k) for k in keys], [hist[k] for k in keys], color="#4C72B0")
    ax.bar_label(bars, fontsize=7)
    ax.set_xlabel("user turns per dialogue")
    ax.set_ylabel("dialogues")
    ax.set_xticks([int(k) for k in keys])
    ax.set_title("Verified multi-turn dialogues: turns per dialogue")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def funnel_chart(report: StageReport, path: Path) -> Path:
    """Grouped bars: per environment, how many blueprints/dialogues passed each stage."""
    from xlam.reports.charts import bar_chart

    series = {}
    for key, row in sorted(report.groups.items()):
        if key.startswith("funnel:"):
            series[key.removeprefix("funnel:")] = {f"{i}. {s}": row.get(f"passed {s}", 0)
                                                   for i, s in enumerate(STAGES, 1)} | {"0. sampled": row.get("sampled", 0)}
    return bar_chart(series, path, title="Multi-turn synthesis funnel per environment", ylabel="passed")


def run_multi_turn_synthesis(out_uri: str, config: MultiTurnConfig | None = None, *, rejects_uri: str | None = None,
                             report_dir: str | Path | None = None, overwrite: bool = False,
                             blueprints: list[Blueprint] | None = None, variants: int = 1) -> StageReport:
    """Synthesize ``config.n`` verified dialogues (or ``variants`` per given blueprint) into ``out_uri``.

    With ``blueprints`` (from :func:`xlam.synthesis.multi_turn.load_blueprints`) every one of them must
    pass its checks: the first that does not raises :class:`~xlam.errors.RecordError` naming its file,
    line and turn, and nothing is written."""
    config = config or MultiTurnConfig()
    started = time.perf_counter()
    synth = MultiTurnSynthesizer(config)
    report = StageReport(stage="synthesize-mt", output_uri=out_uri, rejects_uri=rejects_uri,
                         config=config.model_dump(mode="json"))
    kinds: Counter[str] = Counter()
    turns_hist: Counter[str] = Counter()
    mixed: Counter[str] = Counter()
    target = config.n if blueprints is None else len(blueprints) * variants
    max_attempts = config.max_attempts or 4 * config.n
    command = f"synthesize-mt --generator {config.generator.backend} --n {target} --seed {config.seed}"
    try:
        with ExitStack() as stack:
            out = stack.enter_context(DatasetWriter(out_uri, source=config.source, command=command, overwrite=overwrite))
            rej = stack.enter_context(DatasetWriter(rejects_uri, source=config.source, command=command,
                                                    overwrite=overwrite)) if rejects_uri else None
            progress = stack.enter_context(Progress(transient=True, disable=not sys.stderr.isatty()))
            task = progress.add_task("synthesizing dialogues", total=target)

            def consume(results: list[tuple[Blueprint, Outcome, Record]], strict: bool) -> None:
                for bp, outcome, record in results:
                    if outcome.ok and out.count >= target:
                        continue
                    if strict and not outcome.ok:
                        where = getattr(bp, "source_location", None) or (bp.id, None)
                        turn = _failed_turn(outcome.reasons)
                        raise RecordError(where[0], where[1], f"turns[{turn}]" if turn is not None else "turns",
                                          f"{outcome.failed_stage} failed: {'; '.join(outcome.reasons[:3])}")
                    report.input_records += 1
                    _account(report, bp.env, outcome)
                    if outcome.ok:
                        out.write(record)
                        report.output_records += 1
                        _bump(report, bp.env, "verified")
                        synth.verified[bp.primary or bp.env] += 1
                        if bp.mixed:
                            mixed["dialogues"] += 1
                            mixed["cross_environment_turns"] += len(record.provenance.extra["cross_environment_turns"])
                        kinds.update(record.provenance.extra.get("turn_kinds", []))
                        turns_hist[str(record.provenance.extra.get("user_turns", 0))] += 1
                        progress.advance(task)
                    else:
                        report.rejected_records += 1
                        if rej is not None:
                            rej.write(record)

            if blueprints is not None:
                for v in range(variants):
                    seeds = [hash((config.seed, v, i)) & 0x7FFFFFFF for i in range(len(blueprints))]
                    fresh = [_copy_blueprint(bp) for bp in blueprints]
                    consume(synth.run_batch(fresh, seeds), strict=True)
            else:
                while out.count < config.n and synth.attempts < max_attempts:
                    want = min(config.batch_size, max(1, int((config.n - out.count) * 1.25)), max_attempts - synth.attempts)
                    batch = []
                    for bp, env, error in synth.blueprints(want):
                        if bp is None:
                            report.input_records += 1
                            report.rejected_records += 1
                            _bump(report, env, "sampled")
                            _bump(report, env, "failed sampling")
                            report.bump(f"sampling:{error.split(':')[0]}")
                        else:
                            batch.append(bp)
                    consume(synth.run_batch(batch), strict=False)
    finally:
        synth.close()
    report.groups["turn_kinds"] = dict(sorted(kinds.items()))
    report.groups["turns_per_dialogue"] = {k: turns_hist[k] for k in sorted(turns_hist, key=int)}
    if mixed:
        report.groups["mixed"] = dict(sorted(mixed.items()))
    if synth.rephrase_stats:
        report.groups["llm_rephrasing"] = dict(synth.rephrase_stats)
    report.seconds = time.perf_counter() - started
    rate = report.output_records / report.seconds if report.seconds else 0.0
    report.notes.append(f"{report.output_records} verified dialogues in {report.seconds:.1f}s ({rate:.1f}/s), "
                        f"generator {synth.generator_name}")
    report.notes.append("Funnel (records passing each stage):\n\n" + funnel_table(report))
    if blueprints is None and report.output_records < config.n:
        report.notes.append(f"stopped after {synth.attempts} blueprints (max_attempts) with "
                            f"{report.output_records}/{config.n} verified")
    if report_dir is not None:
        report.write(report_dir)
        if turns_hist:
            turns_histogram(report.groups["turns_per_dialogue"], Path(report_dir) / "synthesize-mt.turns.png")
            funnel_chart(report, Path(report_dir) / "synthesize-mt.funnel.png")
    return report


def _failed_turn(reasons: list[str]) -> int | None:
    import re

    for reason in reasons:
        match = re.search(r"turn ?(\d+)", reason)
        if match:
            return int(match.group(1)) - 1
    return None


def _copy_blueprint(bp: Blueprint) -> Blueprint:
    import copy

    clone = copy.copy(bp)
    clone.observations, clone.final_state, clone.final_hash = [], None, ""
    return clone


__all__ = ["STAGES", "MultiTurnSynthesizer", "funnel_chart", "funnel_table", "reason_code", "run_multi_turn_synthesis", "turns_histogram"]
