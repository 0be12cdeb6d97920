"""The experiment report: one row per variant (and the base model), BFCL accuracy, data, contamination."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson

from xlam.datasets import read_manifest, read_records
from xlam.evaluation.results import load_current_result, load_items
from xlam.experiments.config import ExperimentConfig
from xlam.experiments.contamination import contamination
from xlam.reports import bar_chart

CALL_CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple")
SHOWN = (*CALL_CATEGORIES, "irrelevance", "live_simple", "live_multiple", "live_parallel",
         "live_parallel_multiple", "live_irrelevance", "multi_turn_base", "multi_turn_miss_func",
         "multi_turn_miss_param", "multi_turn_long_context")


def export_outputs(eval_dir: Path, target: Path) -> Path:
    """``{"id", "output"}`` lines (what ``xlam eval score`` reads), gzip-compressed, in id order."""
    rows = sorted(({"id": d["id"], "output": d.get("raw_output", "")} for d in load_items(eval_dir)),
                  key=lambda r: r["id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(target, "wb", compresslevel=9) as fh:
        for row in rows:
            fh.write(orjson.dumps(row) + b"\n")
    return target


def failure_kinds(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Why the call categories' items (``results.jsonl`` rows) failed: the model answered in prose (a refusal
    or a question), wrote a call list that does not parse, or called with a wrong function, count or argument."""
    kinds = {"prose": 0, "unparsable": 0, "wrong_call": 0}
    for d in rows:
        if d.get("category") not in CALL_CATEGORIES or d.get("valid"):
            continue
        text = str(d.get("raw_output", "")).strip().strip("`").strip()
        if str(d.get("error_type", "")).startswith("ast_decoder"):
            kinds["unparsable" if text.startswith("[") else "prose"] += 1
        else:
            kinds["wrong_call"] += 1
    return kinds


def _row(eval_dir: Path) -> dict[str, Any] | None:
    if not (eval_dir / "summary.json").is_file():
        return None
    rows = load_items(eval_dir)
    result = load_current_result(eval_dir, rows)  # every scored item, also of an evaluation cut off after resuming
    cats = {c: round(100 * r.accuracy, 2) for c, r in result.categories.items()}
    calls = [cats[c] for c in CALL_CATEGORIES if c in cats]
    row: dict[str, Any] = {"categories": cats, "items": result.items, "seconds": round(result.seconds, 1),
                           "totals": {c: r.total for c, r in result.categories.items()}}
    row["non_live_ast_mean"] = round(sum(calls) / len(calls), 2) if len(calls) == len(CALL_CATEGORIES) else None
    row["failures"] = failure_kinds(rows)
    live = result.summary("live_ast")
    row["live_ast"] = round(100 * live, 2) if live is not None else None
    if (eval_dir / "call_bias.json").is_file():  # eval.call_bias auto (xlam.evaluation.call_bias)
        row["call_bias"] = json.loads((eval_dir / "call_bias.json").read_text())
    return row


def _training(result_file: Path) -> dict[str, Any]:
    """Steps, first and last loss, tokens and rendered examples of one training run's ``result.json``."""
    raw = json.loads(result_file.read_text())
    history = raw.get("history") or []
    losses = [h["loss"] for h in history if "loss" in h]
    render = raw.get("render") or {}
    return {"steps": raw.get("final_step"), "first_loss": losses[0] if losses else None,
            "last_loss": losses[-1] if losses else None, "tokens": sum(h.get("tokens", 0) for h in history),
            # examples longer than max_seq_len are dropped (over_length: skip): shown, so a variant that
            # silently lost part of its data (run 3's multi-turn: 56%) stands out
            "examples": render.get("examples"), "skipped_over_length": render.get("skipped_over_length")}


def seed_spread(config: ExperimentConfig, rows: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: for each recipe run at several seeds (variants with ``replicate_of``), its non-live AST
    mean and irrelevance per seed, their mean and range. A difference between recipes smaller than the range
    of one recipe's seeds is not shown to be an effect."""
    groups: dict[str, list[tuple[int | None, str]]] = {}
    own_seed = {v.name: v.seed for v in config.variants}
    for variant in config.variants:
        if variant.replicate_of is not None and variant.name in rows:
            target = variant.replicate_of
            groups.setdefault(target, [(own_seed.get(target) or config.seed, target)] if target in rows else [])
            groups[target].append((variant.seed, variant.name))
    if not groups:
        return []
    lines = ["## Seed spread (one recipe, several seeds of its data and training)", "",
             "| recipe | seeds (variant) | non-live AST mean per seed | mean | range | irrelevance per seed |",
             "|---|---|---|---:|---:|---|"]
    for target, members in groups.items():
        scores = [(rows[n].get("non_live_ast_mean"), rows[n]["categories"].get("irrelevance")) for _, n in members]
        ast = [a for a, _ in scores if a is not None]
        mean = f"{sum(ast) / len(ast):.2f}" if ast else "-"
        spread = f"{max(ast) - min(ast):.2f}" if len(ast) > 1 else "-"
        lines.append(f"| {target} | " + ", ".join(f"{seed} ({name})" for seed, name in members) + " | "
                     + ", ".join("-" if a is None else f"{a:.2f}" for a, _ in scores) + f" | {mean} | {spread} | "
                     + ", ".join("-" if i is None else f"{i:.2f}" for _, i in scores) + " |")
    return [*lines, ""]


def write_report(config: ExperimentConfig, work: Path, plans: list[Any]) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    base = _row(work / "eval" / "base")
    if base is not None:
        rows["base"] = base
    data_info: dict[str, Any] = {}
    for plan in plans:
        row = _row(work / "eval" / plan.name)
        data = work / "data" / plan.data_key / "dataset"
        if data.is_dir() and plan.data_key not in data_info:
            contam_file = work / "data" / plan.data_key / "contamination.json"
            if not contam_file.is_file():
                contam_file.write_text(json.dumps(contamination(read_records(str(data))), indent=2))
            info = json.loads(contam_file.read_text())
            info["records"] = read_manifest(str(data)).num_records
            data_info[plan.data_key] = info
        if row is not None:
            row["data_key"] = plan.data_key
            trained = work / "runs" / (plan.model_of or plan.name)
            for key, run in (("train", trained), ("dpo", trained / "dpo")):
                if (run / "result.json").is_file():
                    row[key] = _training(run / "result.json")
            rows[plan.name] = row
    for name in rows:
        export_outputs(work / "eval" / name, work / "outputs" / name / "outputs.jsonl.gz")
    cats = [c for c in SHOWN if any(c in r["categories"] for r in rows.values())]
    lines = [f"# Experiment {config.name}", "", config.description.strip(), "",
             "## BFCL accuracy (%)", "",
             "| variant | " + " | ".join(cats) + " | non-live AST mean | live AST |",
             "|---|" + "---:|" * (len(cats) + 2)]
    for name, row in rows.items():
        vals = [f"{row['categories'][c]:.2f}" if c in row["categories"] else "-" for c in cats]
        nl = f"**{row['non_live_ast_mean']:.2f}**" if row.get("non_live_ast_mean") is not None else "-"
        live = f"{row['live_ast']:.2f}" if row.get("live_ast") is not None else "-"
        lines.append(f"| {name} | " + " | ".join(vals) + f" | {nl} | {live} |")
    lines += ["", "Items per category: " + ", ".join(
        f"{c} {next(iter(rows.values()))['totals'].get(c, '-')}" for c in cats) if rows else "", ""]
    lines += seed_spread(config, rows)
    lines += ["## What fails (call categories, items)", "",
              "| variant | answered in prose (refusal or question) | call list does not parse | wrong call "
              "| call bias (held-out call / reply rate with it; without) |",
              "|---|---:|---:|---:|---|"]
    for name, row in rows.items():
        f, bias = row["failures"], row.get("call_bias")
        fitted = (f"{bias['bias']:+.2f} ({bias['call_rate_after']:.2f} / {bias['reply_rate_after']:.2f}; "
                  f"{bias['call_rate_before']:.2f} / {bias['reply_rate_before']:.2f})" if bias else "-")
        lines.append(f"| {name} | {f['prose']} | {f['unparsable']} | {f['wrong_call']} | {fitted} |")
    lines.append("")
    descriptions = {v.name: v.description for v in config.variants}
    lines += ["## Variants", "", "| variant | what differs | data set | train steps | loss first -> last "
              "| examples trained (dropped: longer than max_seq_len) |", "|---|---|---|---:|---|---|"]
    for plan in plans:
        row = rows.get(plan.name, {})
        train = row.get("train") or {}
        loss = (f"{train['first_loss']:.3f} -> {train['last_loss']:.4f}"
                if train.get("first_loss") is not None else "-")
        dpo = row.get("dpo") or {}
        if dpo.get("first_loss") is not None:
            loss += f"; DPO ({dpo['steps']} steps) {dpo['first_loss']:.3f} -> {dpo['last_loss']:.4f}"
        examples = (f"{train['examples']} ({train.get('skipped_over_length') or 0})"
                    if train.get("examples") is not None else "-")
        lines.append(f"| {plan.name} | {descriptions.get(plan.name, 'the baseline recipe')} | {plan.data_key} "
                     f"| {train.get('steps', '-')} | {loss} | {examples} |")
    lines += ["", "## Data sets and contamination (overlap with every BFCL single-turn category)", "",
              "| data set | records | distinct tools | records with a BFCL function name | records with a BFCL query 8-gram |",
              "|---|---:|---:|---:|---:|"]
    for key, info in data_info.items():
        lines.append(f"| {key} | {info['records']} | {info['distinct_tool_names']} | "
                     f"{info['records_with_bfcl_function_name']} ({', '.join(info['bfcl_function_names_shared'][:5])}) "
                     f"| {info['records_with_bfcl_query_8gram']} |")
    timings = work / "timings.json"
    if timings.is_file():
        lines += ["", "## Timings (s)", "", "```", timings.read_text().strip(), "```"]
    (work / "report.md").write_text("\n".join(lines) + "\n")
    chart = {name: {c: row["categories"][c] for c in cats if c in row["categories"]} for name, row in rows.items()}
    if chart:
        bar_chart(chart, work / "accuracy.png", title=f"{config.name}: BFCL accuracy (%)", ylabel="accuracy (%)")
    summary = {"rows": rows, "data": data_info}
    (work / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary


__all__ = ["export_outputs", "failure_kinds", "seed_spread", "write_report"]
