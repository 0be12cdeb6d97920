"""Control-plane benchmark: our API vs an MLflow tracking server, same PostgreSQL, same load.

Operations (each driven by 32 concurrent clients on loopback for a fixed time):

=================  ==========================================  ==============================================
operation          xLAM control plane                          MLflow (REST 2.0)
=================  ==========================================  ==============================================
registry.create    POST /v1/projects/{p}/models                POST registered-models/create
registry.get       GET  /v1/projects/{p}/models/{name}         GET  registered-models/get?name=
version.create     POST /v1/projects/{p}/models/{m}/versions   POST model-versions/create
runs.submit        POST /v1/projects/{p}/runs (validated spec, POST runs/create (bookkeeping only)
                   idempotency key, enqueued on Redis)
runs.list          GET  /v1/projects/{p}/runs?limit=50          POST runs/search max_results=50
=================  ==========================================  ==============================================

Both servers run with the same number of uvicorn workers against separate databases on the
same PostgreSQL server. MLflow is installed into its own virtualenv (``.venv-mlflow``, created
here if missing). Results are printed and, with ``--write``, appended to docs/BENCHMARKS.md.

    .venv/bin/python benchmarks/control_plane.py --seconds 8 --workers 2 --write
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("XLAM_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
PG_HOST = os.environ.get("XLAM_BENCH_PG_HOST", "postgres@127.0.0.1:5432")
REDIS = os.environ.get("XLAM_BENCH_REDIS", "redis://127.0.0.1:6379/14")
MLFLOW_VENV = REPO / ".venv-mlflow"
MLFLOW_VERSION = "3.17.2"
TARGET_SPEEDUP = 3.0  # xLAM req/s over MLflow's, every operation
TARGET_TAIL = 3.0  # xLAM p99 over its own p50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_db(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_db(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def ensure_mlflow() -> Path:
    exe = MLFLOW_VENV / "bin" / "mlflow"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        subprocess.run([str(MLFLOW_VENV / "bin" / "pip"), "install", "-q", f"mlflow=={MLFLOW_VERSION}",
                        "psycopg2-binary"], check=True)
    return exe


def wait_http(url: str, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


# --- load generation ------------------------------------------------------------------------
async def drive(op: Callable[[aiohttp.ClientSession, int], Awaitable[int]], base: str, headers: dict[str, str],
                clients: int, seconds: float, warmup: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = 0
    conn = aiohttp.TCPConnector(limit=clients, force_close=False)
    async with aiohttp.ClientSession(base_url=base, headers=headers, connector=conn) as session:
        # prime every server process (lazy imports, first broker connection) outside the measurement
        await asyncio.gather(*(op(session, -1 - i) for i in range(2 * clients)))
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + seconds

        async def client() -> None:
            nonlocal errors, counter
            while True:
                t0 = time.perf_counter()
                if t0 >= stop:
                    return
                counter += 1
                status = await op(session, counter)
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    if status >= 400:
                        errors += 1

        await asyncio.gather(*(client() for _ in range(clients)))
    latencies.sort()
    n = len(latencies)
    return {"requests": n, "rps": n / seconds, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(n - 1, int(0.99 * n))], "errors": errors}


async def _status(resp: aiohttp.ClientResponse) -> int:
    await resp.read()
    return resp.status


def xlam_ops(project: str, bfcl_dir: str, tag: str) -> dict[str, Callable[[aiohttp.ClientSession, int], Awaitable[int]]]:
    spec = {"source": "bfcl", "inputs": [bfcl_dir], "output_name": "bench", "unify": {"limit": 10}}

    async def create(s: aiohttp.ClientSession, i: int) -> int:
        async with s.post(f"/v1/projects/{project}/models", json={"name": f"m-{tag}-{i}"}) as r:
            return await _status(r)

    async def get(s: aiohttp.ClientSession, i: int) -> int:
        async with s.get(f"/v1/projects/{project}/models/m-{tag}-{1 + i % 500}") as r:
            return await _status(r)

    async def version(s: aiohttp.ClientSession, i: int) -> int:
        async with s.post(f"/v1/projects/{project}/models/m-{tag}-{1 + i % 50}/versions",
                          json={"artifact_uri": f"s3://bench/models/{i}"}) as r:
            return await _status(r)

    async def submit(s: aiohttp.ClientSession, i: int) -> int:
        async with s.post(f"/v1/projects/{project}/runs", json={"kind": "data-pipeline", "spec": spec},
                          headers={"Idempotency-Key": f"{tag}-{i}"}) as r:
            return await _status(r)

    async def listing(s: aiohttp.ClientSession, i: int) -> int:
        async with s.get(f"/v1/projects/{project}/runs", params={"limit": "50"}) as r:
            return await _status(r)

    return {"registry.create": create, "registry.get": get, "version.create": version,
            "runs.submit": submit, "runs.list": listing}


def mlflow_ops(experiment_id: str, tag: str) -> dict[str, Callable[[aiohttp.ClientSession, int], Awaitable[int]]]:
    api = "/api/2.0/mlflow"

    async def create(s: aiohttp.ClientSession, i: int) -> int:
        async with s.post(f"{api}/registered-models/create", json={"name": f"m-{tag}-{i}"}) as r:
            return await _status(r)

    async def get(s: aiohttp.ClientSession, i: int) -> int:
        async with s.get(f"{api}/registered-models/get", params={"name": f"m-{tag}-{1 + i % 500}"}) as r:
            return await _status(r)

    async def version(s: aiohttp.ClientSession, i: int) -> int:
        async with s.post(f"{api}/model-versions/create",
                          json={"name": f"m-{tag}-{1 + i % 50}", "source": f"s3://bench/models/{i}"}) as r:
            return await _status(r)

    async def submit(s: aiohttp.ClientSession, i: int) -> int:
        async with s.post(f"{api}/runs/create", json={"experiment_id": experiment_id, "run_name": f"r{i}",
                                                       "start_time": int(time.time() * 1000)}) as r:
            return await _status(r)

    async def listing(s: aiohttp.ClientSession, i: int) -> int:
        async with s.post(f"{api}/runs/search", json={"experiment_ids": [experiment_id], "max_results": 50}) as r:
            return await _status(r)

    return {"registry.create": create, "registry.get": get, "version.create": version,
            "runs.submit": submit, "runs.list": listing}


# --- servers --------------------------------------------------------------------------------
def start_xlam(db_url: str, port: int, workers: int, token: str, home: Path, bfcl_dir: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "XLAM_ENV": "development", "XLAM_HOME": str(home), "XLAM_DATABASE_URL": db_url,
           "XLAM_BROKER_URL": REDIS, "XLAM_RESULT_BACKEND": REDIS, "XLAM_BOOTSTRAP_TOKEN": token,
           "XLAM_TASK_QUEUE": f"bench-{uuid.uuid4().hex[:6]}", "XLAM_LOG_LEVEL": "WARNING",
           "XLAM_ALLOWED_URI_ROOTS": json.dumps([str(home), bfcl_dir]), "XLAM_DB_POOL_SIZE": "20"}
    from services.db.migrate import upgrade

    upgrade(db_url)
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.api.app:app_from_env", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--no-access-log", "--loop", "uvloop", "--http", "httptools",
         "--log-level", "warning"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def start_mlflow(exe: Path, db_url: str, port: int, workers: int, home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    return subprocess.Popen(
        [str(exe), "server", "--backend-store-uri", db_url, "--default-artifact-root", str(home / "mlruns"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=home, env=env, stdout=open(home / "mlflow.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    from xlam.assets import bfcl_data_dir

    bfcl = str(bfcl_data_dir())
    home = Path(args.home or f"/tmp/xlam-bench-{uuid.uuid4().hex[:6]}")
    home.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:6]
    ours_db, ml_db = f"bench_xlam_{tag}", f"bench_mlflow_{tag}"
    create_db(ours_db)
    create_db(ml_db)
    exe = ensure_mlflow()
    token = "xlam_bench_" + uuid.uuid4().hex
    p1, p2 = free_port(), free_port()
    load_before = os.getloadavg()
    procs = []
    try:
        procs.append(start_xlam(f"postgresql+psycopg://{PG_HOST}/{ours_db}", p1, args.workers, token, home, bfcl))
        procs.append(start_mlflow(exe, f"postgresql+psycopg2://{PG_HOST}/{ml_db}", p2, args.workers, home))
        xlam_url, ml_url = f"http://127.0.0.1:{p1}", f"http://127.0.0.1:{p2}"
        wait_http(f"{xlam_url}/healthz")
        wait_http(f"{ml_url}/health", timeout=300)
        auth = {"Authorization": f"Bearer {token}"}
        httpx.post(f"{xlam_url}/v1/projects", json={"name": "bench"}, headers=auth).raise_for_status()
        exp = httpx.post(f"{ml_url}/api/2.0/mlflow/experiments/create", json={"name": f"bench-{tag}"}).json()
        systems = {"xlam": (xlam_url, auth, xlam_ops("bench", bfcl, tag)),
                   "mlflow": (ml_url, {}, mlflow_ops(exp["experiment_id"], tag))}
        results: dict[str, dict[str, Any]] = {}
        for op in ("registry.create", "registry.get", "version.create", "runs.submit", "runs.list"):
            for name, (url, headers, ops) in systems.items():
                res = asyncio.run(drive(ops[op], url, headers, args.clients, args.seconds, args.warmup))
                results.setdefault(op, {})[name] = res
                print(f"{op:16s} {name:7s} {res['rps']:8.1f} req/s  p50 {res['p50_ms']:6.1f} ms  "
                      f"p99 {res['p99_ms']:6.1f} ms  errors {res['errors']}", flush=True)
        report_load = os.getloadavg()
        mlflow_version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
        return {"results": results, "mlflow_version": mlflow_version, "workers": args.workers,
                "load_before": load_before, "load_after": report_load,
                "clients": args.clients, "seconds": args.seconds}
    finally:
        for proc in procs:
            stop(proc)
        drop_db(ours_db)
        drop_db(ml_db)


def to_markdown(report: dict[str, Any], command: str) -> str:
    lines = [
        "## Control plane", "",
        f"- Date: {datetime.now(UTC).date().isoformat()}; machine: CI kind: 2-core x86-64, 24 GiB "
        f"({platform.processor() or platform.machine()}); load generator on the same machine.",
        f"- Command: `{command}`",
        f"- {report['clients']} concurrent clients (aiohttp, keep-alive) on loopback, {report['seconds']} s per "
        f"operation after warm-up; both servers run {report['workers']} uvicorn workers against their own "
        f"database on the same PostgreSQL; baseline: {report['mlflow_version']} tracking server "
        "(REST 2.0) measured in the same run.",
        f"- 1-minute load average of the machine: {report['load_before'][0]:.1f} before, "
        f"{report['load_after'][0]:.1f} after (other jobs were running; on 2 cores anything above 2 means "
        "the servers, PostgreSQL and the load generator waited for CPU, which inflates every latency).",
        f"- Targets (issue 16, with the security checks in place): >= {TARGET_SPEEDUP:g}x MLflow's req/s on every "
        f"operation and xLAM p99 <= {TARGET_TAIL:g}x its p50.", "",
        "| operation | xLAM req/s | xLAM p50 ms | xLAM p99 ms | MLflow req/s | MLflow p50 ms | MLflow p99 ms | speed-up "
        "| p99/p50 | targets |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for op, res in report["results"].items():
        x, m = res["xlam"], res["mlflow"]
        speed = x["rps"] / m["rps"] if m["rps"] else float("inf")
        tail = x["p99_ms"] / x["p50_ms"] if x["p50_ms"] else float("inf")
        verdict = "met" if speed >= TARGET_SPEEDUP and tail <= TARGET_TAIL else "missed"
        lines.append(f"| {op} | {x['rps']:.0f} | {x['p50_ms']:.1f} | {x['p99_ms']:.1f} | {m['rps']:.0f} | "
                     f"{m['p50_ms']:.1f} | {m['p99_ms']:.1f} | {speed:.1f}x | {tail:.1f} | {verdict} |")
    errs = {op: {k: v["errors"] for k, v in res.items()} for op, res in report["results"].items()}
    lines += ["", f"Errors (non-2xx) per operation: `{json.dumps(errs)}`.", ""]
    return "\n".join(lines)


def write_section(markdown: str, path: Path) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find("## Control plane")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + markdown.rstrip() + "\n" + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + markdown
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--home", default=None)
    ap.add_argument("--write", action="store_true", help="Update the section in docs/BENCHMARKS.md.")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    report = run(args)
    md = to_markdown(report, "python benchmarks/control_plane.py " + " ".join(sys.argv[1:]))
    print(md)
    if args.write:
        write_section(md, REPO / "docs" / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
