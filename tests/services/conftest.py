"""Fixtures for the control-plane tests: a migrated PostgreSQL database, the app, a real worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.services
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database shared by one test module (each test uses its own project)."""
    import psycopg

    from services.db.migrate import upgrade

    name = f"xlam_svc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    upgrade(url)
    try:
        yield url
    finally:
        from services.db.session import dispose_all

        dispose_all()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="module")
def module_redis() -> Iterator[str]:
    import random

    import redis

    from tests.conftest import REDIS_URL

    url = f"{REDIS_URL}/{random.randint(1, 15)}"
    yield url
    redis.Redis.from_url(url).close()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xlam-home")


@pytest.fixture(scope="module")
def settings(pg_url: str, module_redis: str, home: Path, bfcl_dir: Path) -> Any:
    from services.settings import Settings

    return Settings(
        env="test", home=home, database_url=pg_url, broker_url=module_redis, result_backend=module_redis,
        task_queue=f"xlam-test-{uuid.uuid4().hex[:8]}", allowed_uri_roots=[str(home), str(bfcl_dir)],
        lease_seconds=4, heartbeat_seconds=1, poll_seconds=0.2, reconcile_seconds=1, queued_grace_seconds=30,
        visibility_timeout=60, max_body_bytes=64 * 1024, max_upload_bytes=256 * 1024,
        secret_key="t" * 40,
    )


@pytest.fixture(scope="module")
def client(settings: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


@dataclass
class Actor:
    name: str
    token: str

    @property
    def h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def admin(settings: Any) -> Actor:
    from services.api.bootstrap import bootstrap_admin
    from services.db.session import session_factory

    with session_factory(settings.database_url)() as s:
        token = bootstrap_admin(s)
    assert token
    return Actor("admin", token)


@pytest.fixture(scope="module")
def make_user(client: Any, admin: Actor) -> Callable[[str], Actor]:
    def make(prefix: str) -> Actor:
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        r = client.post("/v1/users", json={"name": name}, headers=admin.h)
        assert r.status_code == 201, r.text
        return Actor(name, r.json()["token"])

    return make


@pytest.fixture()
def project(client: Any, make_user: Callable[[str], Actor]) -> dict[str, Any]:
    """A project with an owner (admin role), an editor, a viewer and an outsider."""
    owner = make_user("owner")
    name = f"p-{uuid.uuid4().hex[:8]}"
    created = client.post("/v1/projects", json={"name": name}, headers=owner.h)
    assert created.status_code == 201, created.text
    editor, viewer, outsider = make_user("editor"), make_user("viewer"), make_user("outsider")
    for actor, role in ((editor, "editor"), (viewer, "viewer")):
        r = client.put(f"/v1/projects/{name}/members/{actor.name}", json={"role": role}, headers=owner.h)
        assert r.status_code == 200, r.text
    return {"name": name, "id": created.json()["id"],
            "owner": owner, "editor": editor, "viewer": viewer, "outsider": outsider}


class WorkerProcess:
    """A real ``celery worker`` subprocess bound to the test settings."""

    def __init__(self, settings: Any, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.settings, self.log_path, self.extra_env = settings, log_path, dict(extra_env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        s = self.settings
        return {**os.environ, "PYTHONPATH": str(REPO), "XLAM_ENV": "test", "XLAM_HOME": str(s.home),
                "XLAM_DATABASE_URL": s.database_url, "XLAM_BROKER_URL": s.broker_url,
                "XLAM_RESULT_BACKEND": s.result_backend, "XLAM_TASK_QUEUE": s.task_queue,
                "XLAM_ALLOWED_URI_ROOTS": json.dumps(s.allowed_uri_roots),
                "XLAM_LEASE_SECONDS": str(s.lease_seconds), "XLAM_HEARTBEAT_SECONDS": str(s.heartbeat_seconds),
                "XLAM_POLL_SECONDS": str(s.poll_seconds), "XLAM_RECONCILE_SECONDS": str(s.reconcile_seconds),
                "XLAM_QUEUED_GRACE_SECONDS": str(s.queued_grace_seconds),
                "XLAM_VISIBILITY_TIMEOUT": str(s.visibility_timeout), "XLAM_MAX_CLAIMS": str(s.max_claims),
                "XLAM_MAX_CRASHES": str(s.max_crashes), "XLAM_CRASH_BACKOFF_SECONDS": str(s.crash_backoff_seconds),
                "XLAM_ARTIFACT_ROOT": s.artifact_root,
                "XLAM_GENERATOR_ENDPOINTS": json.dumps({k: v.model_dump() for k, v in s.generator_endpoints.items()}),
                "XLAM_GENERATOR_ALLOWED_HOSTS": json.dumps(s.generator_allowed_hosts),
                "XLAM_TOOL_MODULES": json.dumps(s.tool_modules), **self.extra_env}

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115
        start_size = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "services.worker.app", "worker", "-Q", self.settings.task_queue,
             "-c", "1", "-P", "prefork", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
             "-n", f"test-{uuid.uuid4().hex[:6]}@%h"],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=self.env(), start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes()[start_size:]:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("worker did not start:\n" + self.log_path.read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (main process, pool child, stage subprocess)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@pytest.fixture(scope="module")
def worker(settings: Any, home: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess(settings, home / "worker.log")
    w.start()
    yield w
    w.stop()


def wait_for(fn: Callable[[], Any], timeout: float = 60, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
