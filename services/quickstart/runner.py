"""``xlam quickstart``: the whole xLAM loop through the REST API of a control plane it starts itself.

Steps (each named in progress output and in errors):

1. ``control plane``: API + Celery worker on embedded defaults (:mod:`services.quickstart.stack`);
2. ``seed data``: a ``data-pipeline`` run unifies, verifies and deduplicates BFCL *live* categories;
3. ``tool library``: the harvested executable tools, written as a dataset and registered;
4. ``synthesis``: an APIGen ``synthesis`` run (template generator, execution-checked);
5. ``preference pairs``: chosen/rejected pairs built from the synthesized records, registered;
6. ``SFT`` (and ``DPO`` where the size has DPO steps): ``training`` runs on BFCL prompt-mode renderings
   of the synthesized records (one local worker with the plain torch engine, or Ray Train +
   DeepSpeed with ``--launcher ray``); each registers a version;
7. ``evaluation``: two ``evaluation`` runs on a BFCL subset (base and trained model);
8. ``promote``: the evaluated version gets the ``latest`` alias;
9. ``report``: ``report.md`` and PNGs (:mod:`services.quickstart.report`).

Every run is submitted with an ``Idempotency-Key`` derived from its spec, and datasets are looked
up by name before they are registered, so running the quickstart again reuses what finished
(a failed or cancelled run is retried as a new attempt of the same run).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from platform_contracts.outputs import RegisteredOutputs
from services.quickstart.plan import (
    EVAL_CATEGORIES,
    NAMESPACE_RATE,
    SEED_CATEGORIES,
    STYLE_WEIGHTS,
    STYLES,
    QuickstartOptions,
    SizeProfile,
)
from services.quickstart.stack import LocalStack, StackError

MARKER = ".xlam-quickstart"
TERMINAL = ("succeeded", "failed", "cancelled")


class QuickstartError(RuntimeError):
    """A step failed; ``step`` names it."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"step '{step}' failed: {message}")
        self.step, self.message = step, message


class QuickstartUsageError(ValueError):
    """Bad options (for example an ``--out`` that is not a quickstart directory): exit code 2."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def clean_log_line(line: str) -> str:
    """A log line without colour codes and Ray's ``(Actor pid=N)`` prefix."""
    line = _ANSI.sub("", line).strip()
    return re.sub(r"^\([A-Za-z]+ pid=\d+\)\s*", "", line)


def spec_key(kind: str, name: str, spec: dict[str, Any]) -> str:
    """Idempotency-Key of a run: the same kind, name and spec give the same key."""
    body = json.dumps({"kind": kind, "name": name, "spec": spec}, sort_keys=True, default=str)
    return f"quickstart-{kind}-{hashlib.sha256(body.encode()).hexdigest()[:32]}"


def prepare_out_dir(out: Path, fresh: bool) -> Path:
    """Create ``out`` (with a marker file); ``fresh`` deletes a previous quickstart's directory only."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise QuickstartUsageError(f"--out {out} exists and is not a quickstart directory (no {MARKER}); "
                                   "choose another --out")
    if fresh and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("created by `xlam quickstart`; --fresh deletes this directory\n")
    return out


def _proc_cpu_seconds(pid: int) -> float:
    """CPU seconds of a live process and its reaped children (``/proc/PID/stat``: utime, stime,
    cutime, cstime); 0 where unreadable (not Linux, process gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return float("nan")


class Quickstart:
    """One quickstart; :meth:`run` returns the report path."""

    def __init__(self, options: QuickstartOptions, console: Console | None = None) -> None:
        self.opts = options
        self.profile: SizeProfile = options.profile()
        self.console = console or Console()
        self.out = options.out.resolve()
        self.deadline = 0.0
        self.stack: LocalStack | None = None
        self.client: Any = None
        self.pid = ""
        self.current_run: str | None = None
        self.facts: dict[str, Any] = {"size": options.size, "profile": self.profile.model_dump(), "steps": []}

    # --- step bookkeeping -------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        """CPU seconds so far of this process, the API, the worker and every run process they reaped."""
        own = os.times()
        total = own.user + own.system + own.children_user + own.children_system
        if self.stack is not None:
            total += sum(_proc_cpu_seconds(p.pid) for p in self.stack.procs.values())
        return total

    @contextmanager
    def step(self, name: str) -> Iterator[dict[str, Any]]:
        info: dict[str, Any] = {"step": name, "reused": False, "detail": ""}
        started = time.monotonic()
        cpu0 = self.cpu_seconds()
        try:
            with self.console.status(f"[bold]{name}[/]: starting") as status:
                info["_status"] = status
                yield info
        except QuickstartError:
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            raise QuickstartError(name, f"{type(exc).__name__}: {exc}") from exc
        finally:
            info.pop("_status", None)
            info["seconds"] = round(time.monotonic() - started, 1)
            info["cpu_seconds"] = round(self.cpu_seconds() - cpu0, 1)
            info["load"] = _load()
        self.facts["steps"].append(info)
        mark = "[green]reused[/]" if info["reused"] else f"{info['seconds']:.1f}s"
        self.console.print(f"[green]✓[/] [bold]{name}[/] ({mark}) {info['detail']}", highlight=False)

    def remaining(self, step: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise QuickstartError(step, f"the quickstart ran past --max-minutes {self.opts.max_minutes:g}")
        return left

    # --- API helpers --------------------------------------------------------------------------
    def submit_and_wait(self, info: dict[str, Any], kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Submit (idempotently) and follow a run to its end; reuse it when it already succeeded."""
        step = info["step"]
        run: dict[str, Any] = self.client.submit_run(self.pid, kind, spec, name=name,
                                                     idempotency_key=spec_key(kind, name, spec))
        if run["state"] == "succeeded":
            info["reused"] = True
            info.setdefault("runs", []).append(run["id"])
            return run
        if run["state"] in ("failed", "cancelled"):
            run = self.client.retry_run(self.pid, run["id"])
        self.current_run = run["id"]
        info.setdefault("runs", []).append(run["id"])
        status, cursor, last = info["_status"], None, ""
        while True:
            run = self.client.get_run(self.pid, run["id"])
            page = self.client.run_logs(self.pid, run["id"], cursor, 500)
            lines = [clean_log_line(ln["line"]) for ln in page["data"]]
            lines = [ln for ln in lines if ln]
            if lines:
                last = lines[-1][-100:]
            if kind == "training":
                last = self._training_progress(run, spec) or last
            cursor = page.get("next_cursor") or cursor
            status.update(f"[bold]{step}[/]: {kind} run {run['id']} [cyan]{run['state']}[/] {last}")
            if run["state"] in TERMINAL and not page["data"]:
                break
            dead = self.stack.alive() if self.stack else None
            if dead:
                raise QuickstartError(step, f"the {dead} process died; see {self.out / 'control' / 'logs' / (dead + '.log')}")
            if self.deadline - time.monotonic() <= 0:
                self._cancel_current()
                self.remaining(step)
            time.sleep(0.5 if page["data"] else 1.0)
        self.current_run = None
        if run["state"] != "succeeded":
            tail = self._log_tail(run["id"])
            raise QuickstartError(step, f"{kind} run {run['id']} {run['state']}: {run['message']}\n{tail}")
        return run

    def _training_progress(self, run: dict[str, Any], spec: dict[str, Any]) -> str:
        """``step i/n loss x`` from the run's ``train.loss`` series (the API's metric points, streamed while
        the run trains)."""
        points = self.client.run_metrics(self.pid, run["id"]).get("train.loss") or []
        if not points:
            return ""
        point = max(points, key=lambda p: p["step"])
        total = spec["config"]["optim"]["max_steps"]
        return f"step {point['step']}/{total} loss {float(point['value']):.4f}"

    def _log_tail(self, run_id: str, n: int = 12) -> str:
        lines: list[str] = []
        cursor = None
        while True:
            page = self.client.run_logs(self.pid, run_id, cursor, 1000)
            lines += [ln["line"] for ln in page["data"]]
            if not page["data"] or not page.get("next_cursor"):
                break
            cursor = page["next_cursor"]
        return "\n".join(f"    | {clean_log_line(ln)}" for ln in lines[-n:])

    def _cancel_current(self) -> None:
        if self.current_run and self.client is not None:
            with contextlib.suppress(Exception):  # best effort while shutting down
                self.client.cancel_run(self.pid, self.current_run)

    def dataset(self, name: str) -> dict[str, Any] | None:
        rows = self.client.list_datasets(self.pid, name=name, limit=1)
        return rows[0] if rows else None

    def register_dataset(self, info: dict[str, Any], name: str, uri: str, description: str,
                         parent_ids: list[str]) -> dict[str, Any]:
        existing = self.dataset(name)
        if existing is not None and existing["uri"] == str(Path(uri).resolve()):
            info["reused"] = True
            return existing
        return self.client.register_dataset(self.pid, name, uri, description=description,  # type: ignore[no-any-return]
                                            parent_ids=parent_ids)

    def version(self, model: str, number: int) -> dict[str, Any]:
        return self.client.request("GET", f"/v1/projects/{self.pid}/models/{model}/versions/{number}")  # type: ignore[no-any-return]

    # --- the steps ---------------------------------------------------------------------------
    def start_control_plane(self) -> None:
        from platform_contracts.client import XlamClient
        from xlam.assets import bfcl_data_dir

        with self.step("control plane") as info:
            info["_status"].update("[bold]control plane[/]: migrating the database, starting API and worker")
            self.stack = LocalStack(self.out / "control", extra_roots=[str(self.out), str(bfcl_data_dir())])
            try:
                self.stack.start()
            except StackError as exc:
                raise QuickstartError("control plane", str(exc)) from exc
            self.client = XlamClient(self.stack.url, self.stack.token, timeout=60)
            projects = [p for p in self.client.list_projects() if p["name"] == self.opts.project]
            project = projects[0] if projects else self.client.create_project(
                self.opts.project, "xlam quickstart: data -> synthesis -> SFT/DPO -> BFCL")
            self.pid = project["id"]
            info["detail"] = f"API {self.stack.url}, project {self.opts.project}"
            self.facts.update(api_url=self.stack.url, project=self.opts.project, project_id=self.pid)

    def seed_data(self) -> dict[str, Any]:
        with self.step("seed data") as info:
            # bfcl://CATEGORY names a question file of the installed bfcl-eval package (resolved on the
            # worker); the data pipeline runs on kfp's local runner when the pipelines package is installed.
            spec = {"source": "bfcl", "inputs": [f"bfcl://{c}" for c in SEED_CATEGORIES],
                    "output_name": "bfcl-live-seed", "unify": {},
                    "verify": {}, "dedup": {}}
            run = self.submit_and_wait(info, "data-pipeline", "quickstart-seed-data", spec)
            ds = run["outputs"]["datasets"][-1]
            full = self.client.get_dataset(self.pid, ds["id"])
            info["detail"] = f"{full['name']} v{full['version']}: {full['num_records']} verified records"
            self.facts["seed"] = {"run": run, "dataset": full}
            return full  # type: ignore[no-any-return]

    def tool_library(self) -> dict[str, Any]:
        from xlam.datasets import DatasetWriter, dataset_exists
        from xlam.tools.harvest import default_registry

        with self.step("tool library") as info:
            uri = self.out / "data" / "tool-library"
            if not dataset_exists(str(uri)):
                registry = default_registry()
                with DatasetWriter(str(uri), source="xlam.tools.harvest",
                                   command="xlam quickstart: default_registry()") as writer:
                    for tool in registry:
                        writer.write(tool.model_dump(mode="json"))
            ds = self.register_dataset(info, "tool-library", str(uri),
                                       "harvested executable tools (xlam.tools.harvest.default_registry)", [])
            info["detail"] = f"{ds['name']} v{ds['version']}: {ds['num_records']} executable tools"
            self.facts["tools"] = {"dataset": ds}
            return ds

    def synthesis(self, seed: dict[str, Any], tools: dict[str, Any]) -> dict[str, Any]:
        with self.step("synthesis") as info:
            spec = {"output_name": "apigen-synthesized",
                    "config": {"n": self.profile.synth_n, "seed": 0, "generator": {"backend": "template"},
                               "tools": "default", "execute": True, "seed_uri": seed["uri"],
                               "styles": list(STYLES), "style_weights": STYLE_WEIGHTS,
                               "namespace_rate": NAMESPACE_RATE}}
            run = self.submit_and_wait(info, "synthesis", "quickstart-synthesis", spec)
            ds = self.client.get_dataset(self.pid, run["outputs"]["datasets"][-1]["id"])
            info["detail"] = f"{ds['name']} v{ds['version']}: {ds['num_records']} execution-checked records"
            self.facts["synthesis"] = {"run": run, "dataset": ds, "tools_dataset_id": tools["id"]}
            return ds  # type: ignore[no-any-return]

    def preference_pairs(self, synthesized: dict[str, Any]) -> dict[str, Any]:
        from xlam.datasets import dataset_exists
        from xlam.preference import PreferenceConfig, run_preference

        with self.step("preference pairs") as info:
            uri = self.out / "data" / "preference-pairs"
            report_dir = self.out / "reports" / "preference"
            if not dataset_exists(str(uri)):
                info["_status"].update("[bold]preference pairs[/]: corrupting verified calls into rejected answers")
                run_preference(synthesized["uri"], str(uri), PreferenceConfig(seed=0), report_dir=report_dir)
            ds = self.register_dataset(info, "preference-pairs", str(uri),
                                       "chosen = verified synthesized answer, rejected = a checked corruption",
                                       [synthesized["id"]])
            info["detail"] = f"{ds['name']} v{ds['version']}: {ds['num_records']} pairs"
            self.facts["preference"] = {"dataset": ds, "report_dir": str(report_dir)}
            return ds

    def _train_config(self, method: str, datasets: list[str], checkpoint: str | None) -> dict[str, Any]:
        p = self.profile
        steps = p.sft_steps if method == "sft" else p.dpo_steps
        if self.opts.launcher == "ray":
            distributed = {"launcher": "ray", "num_workers": 1, "engine": "deepspeed", "zero_stage": 2,
                           "use_gpu": p.use_gpu}
        else:  # one worker: the same per-worker loop in the run's own process, no Ray/DeepSpeed start-up
            distributed = {"launcher": "local", "num_workers": 1, "engine": "torch", "use_gpu": p.use_gpu}
        return {
            "name": f"quickstart-{p.recipe}-{method}", "method": method, "seed": 0,
            "precision": p.precision,
            "model": {"recipe": p.recipe, **({"checkpoint": checkpoint} if checkpoint else {}),
                      **({"train_top_layers": p.train_top_layers} if p.train_top_layers and method == "sft" else {})},
            # BFCL's prompt-mode rendering (system prompt with the tools as BFCL JSON, Python call-list
            # targets): exactly the prompts the evaluation shows the model.
            "data": {"datasets": datasets, "max_seq_len": p.sft_seq_len if method == "sft" else p.dpo_seq_len,
                     "over_length": "truncate", "prompt_mode": "bfcl", "output_format": "python_calls"},
            "optim": {"lr": p.lr if method == "sft" else p.lr / 2, "min_lr": 0.0, "warmup_steps": max(1, steps // 10),
                      "max_steps": steps, "grad_accum": p.grad_accum if method == "sft" else 1},
            "distributed": distributed,
            "checkpoint": {"every_steps": max(steps, 1)},
        }

    def train(self, method: str, datasets: list[str], checkpoint: str | None) -> dict[str, Any]:
        label = method.upper()
        with self.step(label) as info:
            spec = {"model_name": self.opts.model_name, "config": self._train_config(method, datasets, checkpoint)}
            run = self.submit_and_wait(info, "training", f"quickstart-{method}", spec)
            mv_ref = RegisteredOutputs.model_validate(run["outputs"]).model_versions[-1]
            mv = self.version(mv_ref.model, mv_ref.version)
            loss = [(p.step, p.loss) for p in mv_ref.history if p.loss is not None]
            if not loss:  # a run that finished before runs reported their history
                metrics = self.client.run_metrics(self.pid, run["id"])
                loss = [(p["step"], p["value"]) for p in metrics.get("train.loss", [])]
            info["detail"] = (f"{self.opts.model_name} v{mv['version']} ({self.profile.recipe}), "
                              f"loss {loss[0][1]:.3f} -> {loss[-1][1]:.3f}" if loss else f"v{mv['version']}")
            self.facts[method] = {"run": run, "version": mv, "loss": loss}
            return mv

    def eval_budgets(self) -> dict[str, int]:
        """New tokens per answer and category: the profile's fixed budget, or each category's longest
        gold answer of the evaluated items (SmolLM2 tokens) + 16, at least 32 (what the evaluation run
        computes itself with ``fit_max_tokens``; used here for the report)."""
        p = self.profile
        if p.eval_max_tokens is not None:
            return dict.fromkeys(EVAL_CATEGORIES, p.eval_max_tokens)
        from xlam.evaluation import EvalConfig
        from xlam.evaluation.harness import fitted_max_tokens_by_category
        from xlam.training.models import load_tokenizer
        from xlam.training.recipes import get_recipe

        config = EvalConfig(categories=list(EVAL_CATEGORIES), limit=p.eval_limit)
        return fitted_max_tokens_by_category(config, load_tokenizer(get_recipe("smol")))

    def evaluate(self, version: dict[str, Any]) -> None:
        with self.step("evaluation") as info:
            p = self.profile
            budgets = self.eval_budgets()
            generator = {"backend": "hf", "dtype": p.eval_dtype, "batch_size": p.eval_batch_size,
                         "device": "cuda" if p.use_gpu else "cpu"}
            fitted = p.eval_max_tokens is None
            common = {"categories": list(EVAL_CATEGORIES), "limit": p.eval_limit,
                      "max_tokens": p.eval_max_tokens or 256, "fit_max_tokens": fitted,
                      "prompt_mode": "prompt", "generator": generator}
            base_spec = {"config": {**common, "model": p.base_model, "label": p.base_label}}
            trained_spec = {"config": {**common, "model": version["artifact_uri"],
                                       "label": f"{self.opts.model_name} v{version['version']}"},
                            "model_version_id": version["id"]}
            base = self.submit_and_wait(info, "evaluation", "quickstart-eval-base", base_spec)
            reused = info["reused"]
            trained = self.submit_and_wait(info, "evaluation", "quickstart-eval-model", trained_spec)
            info["reused"] = reused and info["reused"]
            b = base["outputs"]["evaluation"]["metrics"]
            t = trained["outputs"]["evaluation"]["metrics"]
            info["detail"] = (f"{len(EVAL_CATEGORIES)} categories x {p.eval_limit} items, "
                              f"{min(budgets.values())}-{max(budgets.values())} new tokens max; "
                              + ", ".join(f"{k.removeprefix('bfcl.')} {b.get(k, 0):.2f}->{t.get(k, 0):.2f}"
                                          for k in (f"bfcl.{c}" for c in EVAL_CATEGORIES)))
            self.facts["evaluation"] = {"base": base, "trained": trained, "base_label": p.base_label,
                                        "max_tokens": budgets, "fitted": fitted, "limit": p.eval_limit,
                                        "categories": list(EVAL_CATEGORIES)}

    def promote(self, version: dict[str, Any]) -> dict[str, Any]:
        with self.step("promote") as info:
            try:
                current = self.client.get_alias(self.pid, self.opts.model_name, "latest")
            except Exception:  # 404: no alias yet
                current = None
            if current and current["version"] == version["version"]:
                info["reused"] = True
            else:
                method = "SFT + DPO" if self.profile.dpo_steps else "SFT"
                self.client.set_alias(self.pid, self.opts.model_name, "latest", version["version"],
                                      reason=f"xlam quickstart ({self.opts.size}): {method}, BFCL-evaluated")
            final = self.version(self.opts.model_name, version["version"])
            info["detail"] = f"{self.opts.model_name}@latest -> v{final['version']} ({len(final['metrics'])} metrics)"
            self.facts["final_version"] = final
            return final

    def write_report(self) -> Path:
        from services.quickstart.report import write_report

        with self.step("report") as info:
            path = write_report(self)
            info["detail"] = str(path)
            return path

    # --- the whole run -----------------------------------------------------------------------
    def run(self, on_ready: Callable[[Quickstart], None] | None = None) -> Path:
        self.out = prepare_out_dir(self.out, self.opts.fresh)
        self.deadline = time.monotonic() + self.opts.max_minutes * 60
        started = time.monotonic()
        device = "GPU" if self.profile.use_gpu else f"CPU ({os.cpu_count()} cores)"
        self.console.print(f"[bold]xlam quickstart[/] size [cyan]{self.opts.size}[/] ({self.profile.description}) "
                           f"on {device} -> {self.out}", highlight=False)
        try:
            self.start_control_plane()
            seed = self.seed_data()
            tools = self.tool_library()
            synthesized = self.synthesis(seed, tools)
            pairs = self.preference_pairs(synthesized)
            # the platform's own synthesized data only (the BFCL-live seed records stay out of training)
            final = self.train("sft", [synthesized["uri"]], None)
            if self.profile.dpo_steps:
                final = self.train("dpo", [pairs["uri"]], final["artifact_uri"])
            self.evaluate(final)
            self.promote(final)
            self.facts["total_seconds"] = round(time.monotonic() - started, 1)
            self.facts["total_cpu_seconds"] = round(sum(s.get("cpu_seconds", 0.0) for s in self.facts["steps"]), 1)
            report = self.write_report()
            if on_ready is not None:
                on_ready(self)
            return report
        except KeyboardInterrupt:
            self._cancel_current()
            raise
        finally:
            if self.client is not None:
                self.client.close()
            if self.stack is not None:
                self.stack.stop()
