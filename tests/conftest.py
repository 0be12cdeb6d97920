"""Shared fixtures: real packaged assets and real local services (PostgreSQL, Redis)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from xlam import assets

PG_ADMIN_URL = os.environ.get("XLAM_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("XLAM_TEST_REDIS", "redis://127.0.0.1:6379")


@pytest.fixture(scope="session")
def bfcl_dir() -> Path:
    """The real BFCL v4 data directory from the installed bfcl-eval package."""
    return assets.bfcl_data_dir()


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    return assets.smollm2_gguf()


@pytest.fixture()
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (SQLAlchemy URL, psycopg 3); dropped afterwards."""
    import psycopg

    name = f"xlam_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture()
def redis_url() -> Iterator[str]:
    """A Redis URL on a database number of its own, flushed afterwards.

    Tests that run in parallel (several pytest processes) pick different numbers at random.
    """
    import random

    import redis

    db = random.randint(1, 15)
    url = f"{REDIS_URL}/{db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
