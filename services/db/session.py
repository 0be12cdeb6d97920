"""Engines and sessions. One engine per (process, URL); sessions are short-lived."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _json_dumps(obj: Any) -> bytes:
    """orjson for JSON/JSONB parameters (psycopg accepts bytes); stdlib json for what orjson refuses."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. integers beyond 64 bits
        return json.dumps(obj).encode()


def get_engine(url: str, *, pool_size: int = 10, max_overflow: int = 0) -> Engine:
    """The engine for ``url``. PostgreSQL: ``pool_size`` kept connections plus at most ``max_overflow``
    short-lived ones (each costs a PostgreSQL backend process to start and stop), JSON columns
    through orjson."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                                       json_serializer=_json_dumps, json_deserializer=orjson.loads)
            _engines[url] = engine
            _factories[url] = sessionmaker(engine, expire_on_commit=False)
        return engine


def session_factory(url: str, *, pool_size: int = 10, max_overflow: int = 0) -> sessionmaker[Session]:
    get_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    return _factories[url]


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """``with session_scope(url) as s:`` commits on success, rolls back on error."""
    with session_factory(url)() as session, session.begin():
        yield session


def dispose_all() -> None:
    """Forget all engines (after fork, or between tests)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()
