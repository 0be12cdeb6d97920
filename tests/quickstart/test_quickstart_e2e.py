"""End to end: ``xlam quickstart`` at its smallest size (tiny-moe: SFT then DPO), through a real API +
Celery worker, training with the local one-worker launcher (plain torch engine).

One quickstart run (module fixture) serves every assertion: while its control plane is still up
(the ``on_ready`` hook) the test reads the registry, lineage and metrics through the REST API;
afterwards it checks the report, the PNGs, that both processes are gone, and that a second run
reuses every finished step without creating anything new.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from services.quickstart import Quickstart, QuickstartError, QuickstartOptions, run_quickstart
from services.quickstart.plan import EVAL_CATEGORIES

pytestmark = [pytest.mark.slow, pytest.mark.services]

SMALL = {"size": "tiny-moe", "train_steps": 4, "synth_n": 16, "eval_limit": 1, "eval_max_tokens": 32,
         "max_minutes": 15}


def _port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("qs") / "xlam-quickstart"
    seen: dict[str, Any] = {}

    def inspect(qs: Quickstart) -> None:
        c, pid, model = qs.client, qs.pid, qs.opts.model_name
        seen["url"] = qs.facts["api_url"]
        seen["pids"] = [p.pid for p in qs.stack.procs.values()] if qs.stack else []
        seen["versions"] = c.list_versions(pid, model)
        seen["alias"] = c.get_alias(pid, model, "latest")
        seen["datasets"] = {d["name"]: d for d in c.list_datasets(pid)}
        seen["lineage"] = {name: c.dataset_lineage(pid, d["id"]) for name, d in seen["datasets"].items()}
        seen["runs"] = c.list_runs(pid)
        seen["facts"] = qs.facts

    started = time.monotonic()
    report = run_quickstart(QuickstartOptions(out=out, **SMALL), on_ready=inspect)
    seen["seconds"] = time.monotonic() - started
    seen["report"], seen["out"] = report, out
    return seen


def test_report_and_charts(quickstart: dict[str, Any]) -> None:
    out: Path = quickstart["out"]
    text = quickstart["report"].read_text()
    assert quickstart["report"] == out / "report.md"
    for heading in ("## BFCL before / after training", "## Steps", "## Data funnel", "## Training",
                    "## Model version", "## Lineage"):
        assert heading in text
    # the report leads with the before/after table and its chart
    assert text.index("## BFCL before / after training") < text.index("## Steps")
    assert text.index("non-live AST mean") < text.index("## Steps")
    assert text.index("](bfcl_accuracy.png)") < text.index("## Steps")
    for png in ("funnel.png", "funnel_rules.png", "loss.png", "bfcl_accuracy.png", "lineage.png"):
        path = out / png
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"]({png})" in text
    for stage in ("unify", "verify", "dedup", "synthesize", "preference"):
        assert f"| `{stage}` |" in text, stage


def test_model_version_alias_lineage_and_metrics(quickstart: dict[str, Any]) -> None:
    versions = {v["version"]: v for v in quickstart["versions"]}
    assert sorted(versions) == [1, 2], "SFT then DPO"
    final = versions[2]
    assert quickstart["alias"]["version"] == 2 and "latest" in final["aliases"]
    runs = {r["id"]: r for r in quickstart["runs"]}
    assert runs[final["run_id"]]["kind"] == "training"
    assert runs[final["run_id"]]["spec"]["config"]["method"] == "dpo"
    assert runs[versions[1]["run_id"]]["spec"]["config"]["method"] == "sft"
    # Every evaluated category's accuracy is attached to the version by the evaluation run.
    for cat in EVAL_CATEGORIES:
        assert 0.0 <= final["metrics"][f"bfcl.{cat}"] <= 1.0
    # Lineage: DPO <- preference pairs <- synthesized <- (seed data <- BFCL files, tool catalog).
    ds = quickstart["datasets"]
    assert final["dataset_ids"] == [ds["preference-pairs"]["id"]]
    # SFT trains on the platform's own synthesized data only (the BFCL-live seed is its parent, not training data)
    assert versions[1]["dataset_ids"] == [ds["apigen-synthesized"]["id"]]
    assert [p["id"] for p in quickstart["lineage"]["preference-pairs"]["parents"]] == [ds["apigen-synthesized"]["id"]]
    assert [p["id"] for p in quickstart["lineage"]["apigen-synthesized"]["parents"]] == [ds["bfcl-live-seed"]["id"]]
    seed_run = runs[ds["bfcl-live-seed"]["producing_run_id"]]
    assert seed_run["kind"] == "data-pipeline" and all(u.startswith("bfcl://live_") for u in seed_run["spec"]["inputs"])
    assert ds["bfcl-live-seed"]["num_records"] > 1000 and ds["tool-library"]["num_records"] >= 150
    # Training metrics (loss per step) were recorded for both phases.
    facts = quickstart["facts"]
    assert len(facts["sft"]["loss"]) == SMALL["train_steps"] and facts["dpo"]["loss"]
    # ... and came back through the API with the training runs' outputs, as did the data runs' stage reports
    sft_out = runs[versions[1]["run_id"]]["outputs"]["model_versions"][0]
    assert [(p["step"], p["loss"]) for p in sft_out["history"]] == [tuple(x) for x in facts["sft"]["loss"]]
    assert {r["stage"] for r in seed_run["outputs"]["reports"]} >= {"unify", "verify", "dedup"}
    synth_run = runs[ds["apigen-synthesized"]["producing_run_id"]]
    assert "synthesize" in {r["stage"] for r in synth_run["outputs"]["reports"]}
    # one local worker (no Ray/DeepSpeed start-up), BFCL prompt-mode renderings with Python call-list targets
    sft_cfg = runs[versions[1]["run_id"]]["spec"]["config"]
    assert sft_cfg["distributed"]["launcher"] == "local" and sft_cfg["distributed"]["engine"] == "torch"
    assert sft_cfg["data"]["prompt_mode"] == "bfcl" and sft_cfg["data"]["output_format"] == "python_calls"
    # evaluation.base / evaluation.trained stay in quickstart.json for scripts
    saved = json.loads((quickstart["out"] / "quickstart.json").read_text())
    for key in ("base", "trained"):
        metrics = saved["evaluation"][key]["outputs"]["evaluation"]["metrics"]
        assert set(metrics) >= {f"bfcl.{c}" for c in EVAL_CATEGORIES}
    # CPU seconds are measured per step (the run processes' CPU included)
    steps = {s["step"]: s for s in facts["steps"]}
    assert steps["SFT"]["cpu_seconds"] > 0 and steps["evaluation"]["cpu_seconds"] > 0


def test_processes_stopped_and_state_left_on_disk(quickstart: dict[str, Any]) -> None:
    assert not _port_open(quickstart["url"])
    for pid in quickstart["pids"]:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    db = quickstart["out"] / "control" / "control.db"
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT kind, count(*) FROM runs WHERE state = 'succeeded' GROUP BY kind"))
    assert states == {"data-pipeline": 1, "synthesis": 1, "training": 2, "evaluation": 2}


def test_second_run_reuses_every_step(quickstart: dict[str, Any]) -> None:
    seen: dict[str, Any] = {}

    def inspect(qs: Quickstart) -> None:
        seen["versions"] = qs.client.list_versions(qs.pid, qs.opts.model_name)
        seen["runs"] = qs.client.list_runs(qs.pid)
        seen["steps"] = qs.facts["steps"]

    run_quickstart(QuickstartOptions(out=quickstart["out"], **SMALL), on_ready=inspect)
    assert len(seen["versions"]) == 2 and len(seen["runs"]) == len(quickstart["runs"])
    reused = {s["step"]: s["reused"] for s in seen["steps"]}
    assert all(reused[s] for s in ("seed data", "tool library", "synthesis", "preference pairs", "SFT", "DPO",
                                   "evaluation", "promote")), reused


def test_failure_names_the_step_and_stops_processes(tmp_path: Path) -> None:
    options = QuickstartOptions(out=tmp_path / "qs", size="tiny-moe", max_minutes=0.001)
    qs = Quickstart(options)
    with pytest.raises(QuickstartError) as info:
        qs.run()
    assert info.value.step == "seed data" and "--max-minutes" in info.value.message
    assert not _port_open(qs.facts["api_url"])


def test_cli_exit_codes(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "xlam.cli.main", "quickstart", *args], capture_output=True,
                              text=True, timeout=300, check=False)

    bad_size = cli("--size", "huge", "--out", str(tmp_path / "a"))
    assert bad_size.returncode == 2 and "--size" in bad_size.stderr
    bad_steps = cli("--train-steps", "0", "--out", str(tmp_path / "a"))
    assert bad_steps.returncode == 2 and "--train-steps" in bad_steps.stderr
    foreign = tmp_path / "not-a-quickstart"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    refused = cli("--out", str(foreign), "--fresh")
    assert refused.returncode == 2 and "not a quickstart directory" in refused.stderr
    assert (foreign / "keep.txt").read_text() == "mine", "--fresh never deletes a foreign directory"


def test_ctrl_c_stops_api_and_worker(tmp_path: Path) -> None:
    import re
    import signal

    # Ctrl-C as a terminal delivers it: SIGINT at its default disposition in the child (a test run started in
    # the background by a non-interactive shell inherits SIGINT ignored, and Python then keeps it ignored)
    proc = subprocess.Popen([sys.executable, "-m", "xlam.cli.main", "quickstart", "--out", str(tmp_path / "qs"),
                             "--synth-n", "8"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if "control plane" in line:
            break
    url = re.search(r"http://127\.0\.0\.1:\d+", "".join(lines))
    assert url, "".join(lines)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert "interrupted" in out
    assert not _port_open(url.group(0))
