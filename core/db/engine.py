"""Engines and session factories, built by entry points from a database URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Several processes (bot, workers, reconciler) write to one SQLite file: wait for
# the lock rather than fail at once.
SQLITE_BUSY_TIMEOUT_S = 30.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`, set up for several processes sharing the database.

    SQLite: WAL journal (readers do not block the writer), a busy timeout,
    foreign keys enforced, and the file's folder created. PostgreSQL: connections
    are checked before use, so a restarted server does not break the pool.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Safe with WAL (a power cut may lose the last commits, never corrupt the file).
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (handy for handing rows to callers)."""
    return sessionmaker(engine, expire_on_commit=False)


def safe_url(url: str) -> str:
    """A database URL fit to print or log: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)
