"""The quickstart's ``report.md`` and its PNGs, built from what the control plane recorded.

Everything comes through the REST API (the typed client), never from the server's directories: data
funnels from the stage summaries in the runs' outputs (and the report of the preference step the
quickstart runs itself); loss curves from the training runs' history and BFCL accuracy from the
evaluation runs' outputs; the lineage from dataset lineage, run and model-version records.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platform_contracts.outputs import RegisteredOutputs
from xlam.reports import StageReport, bar_chart, line_chart
from xlam.reports.lineage import Node, lineage_chart

if TYPE_CHECKING:
    from services.quickstart.runner import Quickstart

STAGE_ORDER = ("unify", "shard", "augment", "verify", "dedup", "mix", "synthesize", "preference")


def run_stage_reports(run: dict[str, Any]) -> list[StageReport]:
    """The stage summaries a finished run reports in its outputs (``GET /runs/{id}``)."""
    return [summary.report() for summary in RegisteredOutputs.model_validate(run["outputs"]).reports]


def stage_reports(qs: Quickstart) -> list[StageReport]:
    """The stage reports of the seed-data and synthesis runs (from their outputs) and of the preference
    step (the quickstart ran it itself and wrote its report), in order."""
    found: dict[str, StageReport] = {}
    for key in ("seed", "synthesis"):
        if key in qs.facts:
            for report in run_stage_reports(qs.facts[key]["run"]):
                found.setdefault(report.stage, report)
    if "preference" in qs.facts:
        for path in sorted(Path(qs.facts["preference"]["report_dir"]).parent.glob("*/*.report.json")):
            report = StageReport.model_validate_json(path.read_text())
            found.setdefault(report.stage, report)
    return [found[s] for s in STAGE_ORDER if s in found] + [r for s, r in found.items() if s not in STAGE_ORDER]


def funnel_charts(reports: list[StageReport], out: Path) -> list[Path]:
    """Records in and out per stage, and rejections per rule/reason (top 25)."""
    charts: list[Path] = []
    funnel = {
        "records in": {f"{i + 1}. {r.stage}": float(r.input_records) for i, r in enumerate(reports)},
        "records out": {f"{i + 1}. {r.stage}": float(r.output_records) for i, r in enumerate(reports)},
    }
    charts.append(bar_chart(funnel, out / "funnel.png", title="Data funnel per stage", ylabel="records"))
    rules: dict[str, float] = {}
    for r in reports:
        for key, value in r.counts.items():
            if r.stage in ("verify", "dedup", "synthesize", "preference") and value:
                rules[f"{r.stage}: {key}"] = float(value)
    if rules:
        top = dict(sorted(rules.items(), key=lambda kv: -kv[1])[:25])
        charts.append(bar_chart(top, out / "funnel_rules.png", title="Counts per stage and rule (top 25)",
                                ylabel="records"))
    return charts


def loss_chart(qs: Quickstart, out: Path) -> Path | None:
    sft = qs.facts.get("sft", {}).get("loss", [])
    dpo = qs.facts.get("dpo", {}).get("loss", [])
    if not sft and not dpo:
        return None
    offset = max((s for s, _ in sft), default=0)
    series = {"SFT": [(float(s), float(v)) for s, v in sft]}
    if dpo:
        series["DPO (continues from SFT)"] = [(float(s + offset), float(v)) for s, v in dpo]
    return line_chart(series, out / "loss.png", title=f"Training loss ({qs.profile.recipe})", xlabel="optimizer step",
                      ylabel="loss")


def accuracy(run: dict[str, Any]) -> dict[str, float]:
    metrics = run["outputs"]["evaluation"]["metrics"]
    return {k.removeprefix("bfcl."): float(v) for k, v in metrics.items()}


def trained_version(qs: Quickstart) -> dict[str, Any]:
    """The version that was evaluated and promoted: DPO's where DPO ran, else SFT's."""
    return dict(qs.facts["dpo" if "dpo" in qs.facts else "sft"]["version"])


def ast_mean(acc: dict[str, float]) -> float:
    """BFCL's non-live AST mean over the evaluated AST categories (unweighted)."""
    from services.quickstart.plan import AST_CATEGORIES

    return sum(acc.get(c, 0.0) for c in AST_CATEGORIES) / len(AST_CATEGORIES)


def accuracy_chart(qs: Quickstart, out: Path, categories: list[str]) -> Path | None:
    ev = qs.facts.get("evaluation")
    if not ev:
        return None
    base, trained = accuracy(ev["base"]), accuracy(ev["trained"])
    label = f"{qs.opts.model_name} v{trained_version(qs)['version']} (trained)"
    columns = [*categories, "non-live AST mean"]
    base["non-live AST mean"], trained["non-live AST mean"] = ast_mean(base), ast_mean(trained)
    values = {ev["base_label"]: {c: 100 * base.get(c, 0.0) for c in columns},
              label: {c: 100 * trained.get(c, 0.0) for c in columns}}
    return bar_chart(values, out / "bfcl_accuracy.png",
                     title=f"BFCL before/after training ({ev.get('limit', '?')} items per category)",
                     ylabel="accuracy (%)")


def before_after_table(qs: Quickstart) -> str:
    """Category | base | trained | change, plus the non-live AST mean; accuracies in %."""
    from services.quickstart.plan import EVAL_CATEGORIES

    ev = qs.facts["evaluation"]
    base, trained = accuracy(ev["base"]), accuracy(ev["trained"])
    rows = [[c, f"{100 * base.get(c, 0):.0f}", f"{100 * trained.get(c, 0):.0f}",
             f"{100 * (trained.get(c, 0) - base.get(c, 0)):+.0f}"] for c in EVAL_CATEGORIES]
    b, t = ast_mean(base), ast_mean(trained)
    rows.append(["**non-live AST mean**", f"**{100 * b:.1f}**", f"**{100 * t:.1f}**", f"**{100 * (t - b):+.1f}**"])
    return _table(rows, ["category", ev["base_label"], f"{qs.opts.model_name} v{trained_version(qs)['version']}",
                         "change (points)"])


def lineage(qs: Quickstart) -> tuple[list[Node], list[tuple[str, str]]]:
    """Source files -> runs -> datasets -> training runs -> model versions -> alias, from the API."""
    nodes: dict[str, Node] = {}
    edges: list[tuple[str, str]] = []

    def add(node: Node) -> str:
        nodes.setdefault(node.id, node)
        return node.id

    seed_run = qs.facts["seed"]["run"]
    engine = "kfp xlam-data" if seed_run["spec"].get("engine") == "kfp" else "unify > verify > dedup"
    run_node = add(Node(seed_run["id"], f"data-pipeline run\n{engine}\n{seed_run['id'][-8:]}", "run"))
    for uri in seed_run["spec"]["inputs"]:
        name = uri.removeprefix("bfcl://") if uri.startswith("bfcl://") else Path(uri).name
        edges.append((add(Node(f"src:{uri}", f"BFCL v4 source\n{name}", "source")), run_node))
    datasets: dict[str, dict[str, Any]] = {}
    for key in ("seed", "tools", "synthesis", "preference"):
        ds = qs.facts[key]["dataset"]
        datasets[ds["id"]] = ds
    for ds in list(datasets.values()):
        lin = qs.client.dataset_lineage(qs.pid, ds["id"])
        for parent in lin["parents"]:
            datasets.setdefault(parent["id"], parent)
    for ds in datasets.values():
        add(Node(ds["id"], f"dataset {ds['name']} v{ds['version']}\n{ds['num_records']} records", "dataset"))
        if ds.get("producing_run_id"):
            run = qs.client.get_run(qs.pid, ds["producing_run_id"])
            rid = add(Node(run["id"], f"{run['kind']} run\n{run['id'][-8:]}", "run"))
            edges.append((rid, ds["id"]))
        for parent in ds.get("parent_ids") or []:
            if ds.get("producing_run_id"):
                edges.append((parent, ds["producing_run_id"]))
            else:
                add(Node(f"local:{ds['id']}", "preference step\n(corruptions + checker)", "run"))
                edges += [(parent, f"local:{ds['id']}"), (f"local:{ds['id']}", ds["id"])]
    tools_id = qs.facts["tools"]["dataset"]["id"]
    edges.append((tools_id, qs.facts["synthesis"]["run"]["id"]))
    previous: str | None = None
    for method in ("sft", "dpo"):
        if method not in qs.facts:
            continue
        mv, run = qs.facts[method]["version"], qs.facts[method]["run"]
        how = "Ray Train + DeepSpeed" if run["spec"]["config"]["distributed"]["launcher"] == "ray" else "torch, 1 worker"
        rid = add(Node(run["id"], f"training run ({method.upper()})\n{how}\n{run['id'][-8:]}", "run"))
        vid = add(Node(mv["id"], f"{qs.opts.model_name} v{mv['version']}\n({method.upper()})", "model"))
        edges.append((rid, vid))
        for ds_id in mv["dataset_ids"]:
            if ds_id in nodes:
                edges.append((ds_id, rid))
        if previous:
            edges.append((previous, rid))
        previous = vid
    final = qs.facts.get("final_version")
    if final:
        alias = add(Node("alias:latest", f"alias latest\n-> v{final['version']}", "model"))
        edges.append((final["id"], alias))
    return list(nodes.values()), list(dict.fromkeys(edges))


def _table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _budget_text(ev: dict[str, Any]) -> str:
    budgets = ev.get("max_tokens")
    if not isinstance(budgets, dict):
        return f"at most {budgets} new tokens"
    text = ", ".join(f"{c} {n}" for c, n in budgets.items())
    if ev.get("fitted"):
        return f"new tokens at most the longest gold answer of the category's items + 16 ({text})"
    return f"new tokens at most {text}"


def _training_line(qs: Quickstart, method: str) -> str:
    fact = qs.facts[method]
    loss_pts = fact["loss"]
    cfg = fact["run"]["spec"]["config"]
    d = cfg["distributed"]
    how = (f"Ray Train ({d['num_workers']} worker) + DeepSpeed ZeRO-{d['zero_stage']}" if d["launcher"] == "ray"
           else f"one local worker, plain torch engine ({'GPU' if d.get('use_gpu') else 'CPU'})")
    top = cfg["model"].get("train_top_layers")
    trained = f"top {top} decoder layers trained" if top else "all parameters trained"
    return (f"- **{method.upper()}**: `{cfg['model']['recipe']}` ({trained}), {cfg['optim']['max_steps']} steps "
            f"(x{cfg['optim'].get('grad_accum', 1)} packed rows of {cfg['data']['max_seq_len']} tokens), "
            f"lr {cfg['optim']['lr']:g}, {cfg.get('precision', 'auto')}, prompts rendered "
            f"`{cfg['data'].get('prompt_mode', 'auto')}`, {how}, loss "
            + (f"{loss_pts[0][1]:.4f} -> {loss_pts[-1][1]:.4f}" if loss_pts else "n/a")
            + f"; version v{fact['version']['version']} at `{fact['version']['artifact_uri']}`")


def write_report(qs: Quickstart) -> Path:
    from services.quickstart.plan import EVAL_CATEGORIES

    out = qs.out
    reports = stage_reports(qs)
    charts = funnel_charts(reports, out) if reports else []
    loss = loss_chart(qs, out)
    acc = accuracy_chart(qs, out, list(EVAL_CATEGORIES))
    nodes, edges = lineage(qs)
    lineage_png = lineage_chart(nodes, edges, out / "lineage.png", title="Lineage: BFCL sources -> model version")
    final = qs.facts["final_version"]
    p = qs.profile
    ev = qs.facts["evaluation"]
    device = "GPU" if p.use_gpu else f"CPU ({os.cpu_count()} cores)"
    total_cpu = qs.facts.get("total_cpu_seconds")
    md = [
        "# xLAM quickstart report",
        "",
        f"Size **{qs.opts.size}** ({p.description}) on {device}. Total {qs.facts.get('total_seconds', 0):.0f}s"
        + (f" ({total_cpu:.0f} CPU-s)" if total_cpu else "") + ".",
        "",
        "## BFCL before / after training",
        "",
        f"{ev.get('limit', p.eval_limit)} items per category (the first in file order), BFCL prompt mode "
        f"(BFCL's system prompt, Python call lists scored by the AST checker), greedy decoding, "
        f"{_budget_text(ev)}, stopped at a complete call list. Accuracy in %. Training used only the "
        "platform's own synthesized data (no BFCL item), so every evaluated item is unseen.",
        "",
        before_after_table(qs),
        "",
        f"![bfcl]({acc.name})" if acc else "",
        "",
        f"Control plane: {qs.facts['api_url']} (project `{qs.opts.project}`; SQLite, Celery worker on a SQLite "
        "broker, local backend).",
        "",
        "## Steps",
        "",
        "CPU-s: CPU seconds of the quickstart, the API, the worker and the run processes during the step; "
        "load: the 1-minute load average at its end.",
        "",
        _table([[s["step"], "reused" if s["reused"] else f"{s['seconds']:.1f}s",
                 f"{s.get('cpu_seconds', 0):.1f}", f"{s.get('load', 0):.1f}", s["detail"].replace("|", "/")]
                for s in qs.facts["steps"]], ["step", "time", "CPU-s", "load", "result"]),
        "",
        "## Data funnel",
        "",
        _table([[f"`{r.stage}`", str(r.input_records), str(r.output_records), str(r.rejected_records),
                 f"{r.pass_rate:.1%}"] for r in reports], ["stage", "in", "out", "rejected", "pass rate"]),
        "",
        *[f"![{c.stem}]({c.name})" for c in charts],
        "",
    ]
    for r in reports:
        if r.counts:
            top = sorted(r.counts.items(), key=lambda kv: -kv[1])[:12]
            md += [f"<details><summary><code>{r.stage}</code> counts per rule/reason</summary>", "",
                   _table([[f"`{k}`", str(v)] for k, v in top], ["rule / reason", "count"]), "", "</details>", ""]
    md += ["## Training", ""]
    md += [_training_line(qs, method) for method in ("sft", "dpo") if method in qs.facts]
    md += ["", f"![loss]({loss.name})" if loss else "", ""]
    md += ["## Model version", "",
           f"`{qs.opts.model_name}` **v{final['version']}** (alias `latest`), id `{final['id']}`, run "
           f"`{final['run_id']}`, datasets {', '.join(f'`{d}`' for d in final['dataset_ids'])}.", "",
           "```json", json.dumps(final["metrics"], indent=2, sort_keys=True), "```", "",
           "## Lineage", "", f"![lineage]({lineage_png.name})", "",
           "## Next", "",
           f"- Re-run `xlam quickstart --size {qs.opts.size} --out {qs.out}`: finished steps are reused.",
           f"- Inspect the registry: `xlam quickstart --size {qs.opts.size} --out {qs.out} --keep-running`, then "
           "`xlam api models versions " + qs.opts.model_name + " --project " + qs.opts.project + "`.",
           ""]
    path = out / "report.md"
    path.write_text("\n".join(md))
    (out / "quickstart.json").write_text(json.dumps(
        {k: v for k, v in qs.facts.items()}, indent=2, default=str))
    return path
