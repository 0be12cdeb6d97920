"""Fault tests beyond the single SIGKILL of tests/services/test_worker.py (issue 16, robustness):

- worker crashes have their own budget with backoff: a run survives more kills than XLAM_MAX_CLAIMS;
- a stage that finished before its worker and Redis went down is registered from its result, not
  run again, and its outputs are registered exactly once.

A private ``redis-server`` (no persistence) is started for this module, so it can be restarted
without touching the shared Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.db.models import Dataset, Run, RunEvent
from services.db.session import session_factory
from tests.services.conftest import WorkerProcess, wait_for
from tests.services.helpers import data_pipeline_spec, wait_state

pytestmark = [pytest.mark.services, pytest.mark.slow]


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def settings(pg_url: str, redis_server: RedisServer, home: Path, bfcl_dir: Path) -> Any:
    from services.settings import Settings

    return Settings(
        env="test", home=home, database_url=pg_url, broker_url=redis_server.url, result_backend=redis_server.url,
        task_queue=f"xlam-fault-{uuid.uuid4().hex[:8]}", allowed_uri_roots=[str(home), str(bfcl_dir)],
        lease_seconds=5, heartbeat_seconds=1, poll_seconds=0.2, reconcile_seconds=1, queued_grace_seconds=30,
        visibility_timeout=60, secret_key="t" * 40, max_claims=2, max_crashes=20, crash_backoff_seconds=0.5,
    )


def _events(settings: Any, run_id: str) -> list[tuple[str, str]]:
    with session_factory(settings.database_url)() as s:
        return [(e.to_state, e.message) for e in s.scalars(
            select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.id))]


def _produced(settings: Any, run_id: str) -> int:
    with session_factory(settings.database_url)() as s:
        return int(s.scalar(select(func.count()).select_from(Dataset).where(Dataset.producing_run_id == run_id)) or 0)


def test_worker_crashes_do_not_use_up_the_delivery_budget(
        client: Any, project: dict[str, Any], settings: Any, home: Path, bfcl_dir: Path) -> None:
    """Three SIGKILLs of the worker mid-run with XLAM_MAX_CLAIMS=2: the run still succeeds, once."""
    p, h = project["name"], project["editor"].h
    worker = WorkerProcess(settings, home / "crash-worker.log")
    worker.start()
    try:
        run = client.post(f"/v1/projects/{p}/runs", json={"kind": "data-pipeline",
                                                          "spec": data_pipeline_spec(bfcl_dir, copies=3, unify_only=True)},
                          headers=h).json()
        for kill in range(1, 4):
            wait_for(lambda n=kill: client.get(f"/v1/projects/{p}/runs/{run['id']}", headers=h).json()["state"]
                     == "running" and _claims(settings, run["id"]) == n, timeout=90)
            worker.kill()
            worker.start()
        done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=180)
    finally:
        worker.stop()
    assert done["state"] == "succeeded", done["message"]
    with session_factory(settings.database_url)() as s:
        row = s.get(Run, run["id"])
        assert row is not None and row.crashes == 3 and row.claims == 4
    requeues = [m for state, m in _events(settings, run["id"]) if state == "queued" and "expired" in m]
    assert len(requeues) == 3 and "crash 3" in requeues[-1]
    assert _produced(settings, run["id"]) == 1


def _claims(settings: Any, run_id: str) -> int:
    with session_factory(settings.database_url)() as s:
        return int(s.scalar(select(Run.claims).where(Run.id == run_id)) or 0)


def test_a_finished_stage_survives_worker_and_redis_loss_and_is_not_run_again(
        client: Any, project: dict[str, Any], settings: Any, home: Path, bfcl_dir: Path,
        redis_server: RedisServer) -> None:
    """The stage writes its result; before the worker records it, the worker is SIGKILLed and Redis
    restarts empty (queue lost). The next delivery registers that result: one stage execution,
    one dataset, and the run succeeds."""
    p, h = project["name"], project["editor"].h
    worker = WorkerProcess(settings, home / "redis-worker.log")
    worker.start()
    try:
        run = client.post(f"/v1/projects/{p}/runs", json={"kind": "data-pipeline", "spec": data_pipeline_spec(
            bfcl_dir, copies=2, unify_only=True)}, headers=h).json()
        running = wait_state(client, p, h, run["id"], ("running",))
        result = Path(running["external_ref"].removeprefix("local:")) / "result.json"
        # Freeze the worker (its process group); the stage process has a session of its own and
        # finishes. Then the worker dies without having seen the result, and Redis loses its queue.
        assert worker.proc is not None
        os.killpg(worker.proc.pid, signal.SIGSTOP)
        wait_for(result.exists, timeout=120, interval=0.05)
        worker.kill()
        redis_server.stop()
        redis_server.start()
        assert _get_state(settings, run["id"]) == "running"  # nothing recorded the finished stage
        worker.start()
        done = wait_state(client, p, h, run["id"], ("succeeded", "failed"), timeout=120)
    finally:
        worker.stop()
    assert done["state"] == "succeeded", done["message"]
    events = _events(settings, run["id"])
    assert any("not re-run" in m for _, m in events), events
    # one stage execution on disk (claim 1); the later claim started no stage process
    finished_stages = [log for log in result.parent.parent.glob("claim-*/log.txt") if "\ndone in " in log.read_text()]
    assert finished_stages == [result.parent / "log.txt"]
    assert not (result.parent.parent / "claim-2" / "spec.json").exists()
    assert _produced(settings, run["id"]) == 1 and len(done["outputs"]["datasets"]) == 1


def _get_state(settings: Any, run_id: str) -> str:
    with session_factory(settings.database_url)() as s:
        return str(s.scalar(select(Run.state).where(Run.id == run_id)))


def test_thirty_submits_through_ten_worker_kills_finish_once_each(
        client: Any, project: dict[str, Any], settings: Any, home: Path, bfcl_dir: Path) -> None:
    """The prober's trial: 30 submits while the worker is SIGKILLed 10 times (each kill mid-run);
    every run succeeds, nothing is stuck, every run registers exactly one dataset."""
    p, h = project["name"], project["editor"].h
    worker = WorkerProcess(settings, home / "trial-worker.log")
    worker.start()
    ids: list[str] = []
    try:
        for i in range(30):
            spec = data_pipeline_spec(bfcl_dir, ["simple_python"], unify_only=True, limit=30)
            r = client.post(f"/v1/projects/{p}/runs", json={"kind": "data-pipeline", "name": f"trial-{i}",
                                                            "spec": spec}, headers=h)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        killed: set[str] = set()
        for _ in range(10):
            # kill while a run is executing on the current worker (it is requeued, backed off, run again)
            owner = wait_for(lambda: _running_owner(settings, ids, killed), timeout=120, interval=0.05)
            worker.kill()
            killed.add(owner)
            worker.start()
        final = [wait_state(client, p, h, run_id, ("succeeded", "failed", "cancelled"), timeout=300)
                 for run_id in ids]
    finally:
        worker.stop()
    assert [r["state"] for r in final] == ["succeeded"] * 30, [(r["id"], r["state"], r["message"]) for r in final]
    assert [_produced(settings, run_id) for run_id in ids] == [1] * 30
    with session_factory(settings.database_url)() as s:
        crashes = sum(int(s.scalar(select(Run.crashes).where(Run.id == run_id)) or 0) for run_id in ids)
    assert crashes >= 10  # every kill hit a running run and was counted as a crash, not a failure


def _running_owner(settings: Any, ids: list[str], exclude: set[str]) -> str | None:
    """The lease owner of a run that is running on a worker not killed yet, if any."""
    with session_factory(settings.database_url)() as s:
        owners = s.scalars(select(Run.lease_owner).where(Run.id.in_(ids), Run.state == "running"))
        return next((o for o in owners if o and o not in exclude), None)
