"""The embedded default (what the quickstart uses): SQLite + kombu's SQLAlchemy broker, no servers."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from services.db.migrate import upgrade
from services.settings import Settings
from tests.services.conftest import WorkerProcess, wait_for

pytestmark = pytest.mark.services


def test_embedded_sqlite_and_sqla_broker_run_a_pipeline_in_a_real_worker(tmp_path: Path, bfcl_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    token = "xlam_" + uuid.uuid4().hex * 2
    settings = Settings(home=tmp_path, bootstrap_token=token, allowed_uri_roots=[str(tmp_path), str(bfcl_dir)],
                        task_queue=f"embedded-{uuid.uuid4().hex[:6]}", lease_seconds=5, heartbeat_seconds=1,
                        poll_seconds=0.2, reconcile_seconds=2)
    assert settings.database_url.startswith("sqlite:///") and settings.broker_url.startswith("sqla+sqlite:///")
    upgrade(settings.database_url)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        h = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(settings)) as c:
            assert c.get("/readyz").json()["checks"] == {"database": "ok", "schema": "ok", "broker": "ok"}
            assert c.post("/v1/projects", json={"name": "local"}, headers=h).status_code == 201
            spec = {"source": "bfcl", "inputs": [str(bfcl_dir)], "output_name": "bfcl-simple",
                    "unify": {"categories": ["simple_python"], "limit": 10}, "engine": "direct",
                    "verify": None, "dedup": None}
            run = c.post("/v1/projects/local/runs", json={"kind": "data-pipeline", "spec": spec}, headers=h).json()
            done = wait_for(lambda: (r := c.get(f"/v1/projects/local/runs/{run['id']}", headers=h).json())["state"]
                            in ("succeeded", "failed") and r, timeout=60)
            assert done["state"] == "succeeded", done["message"]
            assert done["outputs"]["datasets"][0]["name"] == "bfcl-simple"
    finally:
        worker.stop()
