"""``run_preference``: verified records -> DPO pairs (``record.rejected`` set), verified and balanced.

Chosen is the record's verified first assistant turn. Rejected is either a labelled corruption
(:mod:`xlam.preference.corruptions`, kinds balanced: each record gets the applicable kind used
least so far) or the answer of a weaker generator that failed the check (kind
``weak_generation``, reason = the failing check). Every pair is kept only if the chosen step
passes and the rejected step fails the BFCL-style checker (:func:`xlam.preference.checker.check_step`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xlam.datasets import DatasetWriter, read_records
from xlam.generators import GeneratorConfig
from xlam.preference import corruptions
from xlam.preference.checker import check_step
from xlam.records import Category, Message, Record, Rejected, Step
from xlam.reports import StageReport

_CHECKABLE = {Category.SIMPLE, Category.MULTIPLE, Category.PARALLEL, Category.PARALLEL_MULTIPLE,
              Category.IRRELEVANCE, Category.CLARIFICATION}


class PreferenceConfig(BaseModel):
    """How to build preference pairs."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, description="Seed of corruption choice and sampling.")
    kinds: list[str] = Field(default_factory=lambda: list(corruptions.CORRUPTIONS),
                             description="Corruption kinds to use (see xlam.preference.corruptions).")
    pairs_per_record: int = Field(default=1, ge=0, le=8, description="Corruption pairs per chosen record.")
    balance: bool = Field(default=True, description="Cap every kind at balance_slack x the median kind count.")
    balance_slack: float = Field(default=1.2, ge=1.0, description="Allowed excess over the median kind count.")
    weak_generator: GeneratorConfig | None = Field(
        default=None, description="A weaker generator whose failed answers become rejected responses.")
    weak_limit: int | None = Field(default=None, ge=1, description="Most records sent to the weak generator.")
    weak_max_tokens: int = Field(default=256, ge=8)
    on_error: Literal["fail", "skip"] = Field(default="skip", description="Records the checker cannot score.")


def _balanced_kinds(records: list[Record], config: PreferenceConfig, rng: random.Random) -> list[list[str]]:
    """Per record, the kinds to apply: the least used applicable kinds first (balance)."""
    used = dict.fromkeys(config.kinds, 0)
    plan: list[list[str]] = []
    for record in records:
        options = corruptions.applicable(record, config.kinds)
        rng.shuffle(options)
        options.sort(key=lambda k: used[k])
        chosen = options[: config.pairs_per_record]
        for kind in chosen:
            used[kind] += 1
        plan.append(chosen)
    counts = sorted(v for v in used.values() if v)
    if config.balance and counts:
        cap = max(1, round(config.balance_slack * counts[len(counts) // 2]))
        kept = dict.fromkeys(used, 0)
        for chosen in plan:
            keep = [k for k in chosen if kept[k] < cap]
            for kind in keep:
                kept[kind] += 1
            chosen[:] = keep
    return plan


def _pair(record: Record, step: Step, kind: str, reason: str) -> Record:
    pair = record.model_copy(update={
        "rejected": Rejected(step=step, reason=reason, kind=kind),
        "provenance": record.provenance.model_copy(update={
            "parents": [record.id],
            "transformations": [*record.provenance.transformations, f"preference(kind={kind})"],
        }),
    })
    return pair.with_content_id()


def _weak_answers(records: list[Record], config: GeneratorConfig, max_tokens: int) -> Iterator[tuple[Record, Step]]:
    from xlam.formats import FormatParseError, decode_calls
    from xlam.generators import ChatRequest, create_generator

    generator = create_generator(config)
    system = ("You can call functions. Reply only with a JSON list of calls "
              '[{"name": ..., "arguments": {...}}], or with plain text when no function fits.')
    requests = [ChatRequest(messages=[Message(role="system", content=system), Message(role="user", content=r.query)],
                            tools=r.tools, max_tokens=max_tokens) for r in records]
    for record, response in zip(records, generator.generate(requests), strict=True):
        calls = list(response.tool_calls)
        if not calls:
            try:
                calls = decode_calls(response.text)
            except (FormatParseError, ValueError):
                calls = []
        yield record, Step(tool_calls=calls, response="" if calls else response.text.strip())


def build_pairs(records: list[Record], config: PreferenceConfig, report: StageReport) -> Iterator[Record]:
    """Pairs for ``records`` (verified, balanced); tallies go to ``report``."""
    rng = random.Random(config.seed)
    usable: list[Record] = []
    for record in records:
        if not record.steps or record.inferred_category() not in _CHECKABLE or record.ground_truth is None:
            report.bump("skipped:not_checkable")
            continue
        chosen = check_step(record, record.steps[0])
        if not chosen.valid:
            report.bump(f"skipped:chosen_fails:{chosen.error_type}")
            if config.on_error == "fail":
                raise ValueError(f"record {record.id}: chosen answer fails the checker ({chosen.error_type})")
            continue
        usable.append(record)
    for record, kinds in zip(usable, _balanced_kinds(usable, config, rng), strict=True):
        for kind in kinds:
            made = corruptions.REGISTRY[kind](record, record.steps[0], rng)
            if made is None:
                report.bump(f"not_applicable:{kind}")
                continue
            step, reason = made
            verdict = check_step(record, step)
            if verdict.valid:
                report.bump(f"unverified:{kind}")  # the corruption happened to be acceptable: drop it
                continue
            report.groups.setdefault("pairs_by_kind", {})[kind] = report.groups.get("pairs_by_kind", {}).get(kind, 0) + 1
            yield _pair(record, step, kind, f"{reason} [{verdict.error_type}]")
    if config.weak_generator is not None:
        subset = usable[: config.weak_limit] if config.weak_limit else usable
        for record, step in _weak_answers(subset, config.weak_generator, config.weak_max_tokens):
            verdict = check_step(record, step)
            if verdict.valid:
                report.bump("weak_generation:passed")
                continue
            table = report.groups.setdefault("pairs_by_kind", {})
            table["weak_generation"] = table.get("weak_generation", 0) + 1
            yield _pair(record, step, "weak_generation", f"failed check {verdict.error_type}: {verdict.message}"[:300])


def run_preference(in_uri: str | list[str], out_uri: str, config: PreferenceConfig | None = None, *,
                   report_dir: str | Path | None = None, overwrite: bool = False) -> StageReport:
    """Read verified records from ``in_uri`` (one or several datasets) and write preference pairs."""
    config = config or PreferenceConfig()
    started = time.perf_counter()
    uris = [in_uri] if isinstance(in_uri, str) else list(in_uri)
    records = [r for uri in uris for r in read_records(uri)]
    report = StageReport(stage="preference", input_records=len(records), output_uri=out_uri,
                         config=config.model_dump(mode="json"))
    with DatasetWriter(out_uri, source="preference", command=f"preference --seed {config.seed}", parents=uris,
                       overwrite=overwrite) as writer:
        for pair in build_pairs(records, config, report):
            writer.write(pair)
    report.output_records = writer.count
    report.rejected_records = sum(v for k, v in report.counts.items() if k.startswith(("skipped", "unverified")))
    report.seconds = time.perf_counter() - started
    kinds = report.groups.get("pairs_by_kind", {})
    if kinds:
        report.notes.append(f"pairs per kind: min {min(kinds.values())}, max {max(kinds.values())} "
                            f"over {len(kinds)} kinds")
    if report_dir is not None:
        report.write(report_dir)
    return report


__all__ = ["PreferenceConfig", "build_pairs", "run_preference"]
