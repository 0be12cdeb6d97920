"""Migrations up/down on PostgreSQL, models == migrations, settings and Celery reliability config."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, pool

from services.db.migrate import alembic_config, current_revision, downgrade, upgrade
from services.settings import DEFAULT_SECRET, Settings

pytestmark = pytest.mark.services

TABLES = {"users", "api_tokens", "projects", "memberships", "datasets", "runs", "run_events", "run_logs",
          "run_metrics", "registered_models", "model_versions", "model_aliases", "alias_events"}


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_upgrade_downgrade_roundtrip_on_postgres(pg_database: str) -> None:
    assert _tables(pg_database) == set()
    upgrade(pg_database)
    assert _tables(pg_database) == TABLES and current_revision(pg_database) == "0002"
    command.check(alembic_config(pg_database))  # the models and the migrations agree
    downgrade(pg_database, "base")
    assert _tables(pg_database) == set() and current_revision(pg_database) is None
    upgrade(pg_database)
    assert _tables(pg_database) == TABLES


def test_state_check_constraint_rejects_unknown_states(pg_database: str) -> None:
    import sqlalchemy as sa

    upgrade(pg_database)
    engine = create_engine(pg_database, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, name, is_admin, created_at) VALUES ('u', 'u', true, now())"))
        conn.execute(sa.text("INSERT INTO projects (id, name, description, created_by, created_at, updated_at, version)"
                             " VALUES ('p', 'p', '', 'u', now(), now(), 1)"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO runs (id, project_id, kind, name, spec, backend, state, message, attempt, claims, outputs,"
            " created_at, updated_at) VALUES ('r', 'p', 'training', '', '{}', 'local', 'exploded', '', 1, 0, '{}',"
            " now(), now())"))
    engine.dispose()


def test_production_refuses_insecure_defaults(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        Settings(env="production", home=tmp_path, cors_origins=["*"], debug=True)
    message = str(err.value)
    for needle in ("XLAM_SECRET_KEY", "SQLite", "XLAM_CORS_ORIGINS", "XLAM_DEBUG"):
        assert needle in message
    ok = Settings(env="production", home=tmp_path, secret_key="s" * 40,
                  database_url="postgresql+psycopg://db/xlam", cors_origins=["https://ui.example"])
    assert ok.secret_key != DEFAULT_SECRET
    dev = Settings(home=tmp_path)
    assert dev.database_url == f"sqlite:///{tmp_path / 'control.db'}" and dev.broker_url.startswith("sqla+sqlite:///")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XLAM_HOME", str(tmp_path))
    monkeypatch.setenv("XLAM_DATABASE_URL", "postgresql+psycopg://h/db")
    monkeypatch.setenv("XLAM_BROKER_URL", "redis://h:6379/0")
    monkeypatch.setenv("XLAM_CORS_ORIGINS", '["https://a.example"]')
    s = Settings()
    assert (s.database_url, s.broker_url, s.cors_origins) == ("postgresql+psycopg://h/db", "redis://h:6379/0",
                                                              ["https://a.example"])


def test_celery_reliability_settings(tmp_path: Path) -> None:
    from services.worker.app import make_celery

    conf = make_celery(Settings(home=tmp_path, broker_url="redis://127.0.0.1:6379/0", visibility_timeout=900)).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 900
    assert conf.result_backend_transport_options["visibility_timeout"] == 900
    assert conf.broker_transport_options["unacked_restore_throttle"] == 1
    assert conf.worker_cancel_long_running_tasks_on_connection_loss


def test_relative_home_and_artifact_root_become_absolute(tmp_path, monkeypatch) -> None:
    """Stage subprocesses and Ray workers run elsewhere: every local path the worker hands out is absolute."""
    from services.settings import Settings

    monkeypatch.chdir(tmp_path)
    settings = Settings(home="rel-home", artifact_root="rel-artifacts")
    assert settings.home == tmp_path / "rel-home"
    assert settings.artifact_root == str(tmp_path / "rel-artifacts")
    assert settings.database_url == f"sqlite:///{tmp_path / 'rel-home' / 'control.db'}"
