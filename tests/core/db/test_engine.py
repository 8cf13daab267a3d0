"""make_engine sets SQLite up for several processes, and PostgreSQL for restarts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core.db.engine import make_engine, make_session_factory


def test_sqlite_engine_creates_the_folder_and_sets_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            }
    finally:
        engine.dispose()
    assert path.exists()
    assert pragma == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1}


def test_postgres_engine_checks_connections_before_use(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        assert engine.pool._pre_ping  # a restarted server does not break the pool
        with make_session_factory(engine)() as session:
            assert session.execute(text("select 1")).scalar() == 1
    finally:
        engine.dispose()
