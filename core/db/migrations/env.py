"""Alembic environment, configured from code (see core/db/migrate.py); there is no alembic.ini.

core.db.migrate puts either an open `connection` or a `database_url` into
`config.attributes`; this module runs the migrations on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.pool import NullPool

from core.db.engine import make_engine
from core.db.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Keep revisions free of project types: a UTCDateTime column is a tz-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Any fixed number: the PostgreSQL advisory lock that lets one migrator run at a time.
_PG_LOCK_KEY = 0x61766174  # "avat"


@contextlib.contextmanager
def one_migrator_at_a_time(connection: Connection) -> Iterator[None]:
    """Several processes may start at once and all run `upgrade`: the others wait, then find
    the database at head and do nothing (instead of failing on "table already exists")."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
        connection.commit()  # the lock is the session's, not the transaction's
        try:
            yield
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
            connection.commit()
        return
    database = connection.engine.url.database
    if connection.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl  # POSIX; SQLite files shared by processes live on Linux hosts and volumes here

    with open(Path(database).with_name(Path(database).name + ".migrate-lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def configure_and_run(connection: Connection) -> None:
    with one_migrator_at_a_time(connection):
        _configure_and_run(connection)


def _configure_and_run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        # Batch mode copies tables; foreign keys must be off while it does (outside a transaction).
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,  # SQLite cannot ALTER most things; Alembic rebuilds the table
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    if is_sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure_and_run(connection)
        return
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: call core.db.migrate.upgrade(database_url)")
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            configure_and_run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
