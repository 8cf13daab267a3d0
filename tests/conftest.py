"""Shared fixtures: real SQLite, PostgreSQL and Redis, isolated per test session or test.

Services: PostgreSQL and Redis are used for real. Where one is unreachable a test
is skipped locally and FAILS under CI=true (`require_service`). Addresses can be
changed with AVATARBOT_TEST_POSTGRES_URL (a database the tests may connect to in
order to create their own) and AVATARBOT_TEST_REDIS_URL.

Database fixtures (every schema is built by the Alembic migrations, never create_all):
- `sqlite_url`: a not-yet-created SQLite file (empty database).
- `migrated_sqlite_url`: a SQLite file at head, copied from one migrated per session.
- `postgres_url`: a private PostgreSQL database for this test session, at head. Shared by the
  session's tests: clean the rows you rely on (the `db_url` fixture does).
- `empty_postgres_url`: a brand-new empty PostgreSQL database for one test.
- `db_url`: parametrised over sqlite and postgres; at head and with no rows.
- `engine`, `session_factory`: built on `db_url`.
Others: `image_store`, `redis_url`, `redis_prefix`.
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from core.db.models import Base
from core.image_stores import make_image_store
from core.local_images import LocalImageStore
from core.settings import Settings
from tests.s3_server import s3_endpoint, s3_image_store, s3_settings  # noqa: F401 - fixtures for every room

POSTGRES_ADMIN_URL = os.environ.get("AVATARBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_BASE_URL = os.environ.get("AVATARBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# -- services ---------------------------------------------------------------------


def require_service(name: str) -> None:
    """Skip the test when service `name` ("postgres" or "redis") is unreachable; under CI=true, fail it."""
    problem = _service_problem(name)
    if problem is None:
        return
    message = f"{name} is not reachable: {problem}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: every service must be up)", pytrace=False)
    pytest.skip(message)


@functools.cache
def _service_problem(name: str) -> str | None:
    try:
        if name == "postgres":
            import psycopg

            url = make_url(POSTGRES_ADMIN_URL)
            psycopg.connect(_libpq_dsn(url.database or "postgres"), connect_timeout=3).close()
        elif name == "redis":
            import redis

            redis.Redis.from_url(REDIS_BASE_URL, socket_connect_timeout=3).ping()
        else:
            raise ValueError(f"unknown service {name!r}; known: postgres, redis")
    except ValueError:
        raise
    except Exception as exc:  # any failure to connect means "not reachable"; say which
        return f"{type(exc).__name__}: {exc}".strip()
    return None


@pytest.fixture(name="require_service")
def require_service_fixture() -> Callable[[str], None]:
    """`require_service` for tests that prefer a fixture to an import."""
    return require_service


# -- PostgreSQL ---------------------------------------------------------------------


def _libpq_dsn(database: str) -> str:
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def _postgres_admin(statement: str) -> None:
    import psycopg

    admin_db = make_url(POSTGRES_ADMIN_URL).database or "postgres"
    with psycopg.connect(_libpq_dsn(admin_db), autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement)


class PostgresDatabases:
    """Creates uniquely named databases and drops them all at the end of the session."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self) -> str:
        name = f"avatarbot_test_{uuid.uuid4().hex[:12]}"
        _postgres_admin(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        if name in self.names:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.names.remove(name)

    def drop_all(self) -> None:
        for name in list(self.names):
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.names.clear()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    require_service("postgres")
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def postgres_url(postgres_databases: PostgresDatabases) -> str:
    """A PostgreSQL database of this test session only, migrated to head (dropped at the end)."""
    url = postgres_databases.create()
    upgrade(url)
    return url


@pytest.fixture
def empty_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test."""
    url = postgres_databases.create()
    yield url
    postgres_databases.drop(url)


# -- SQLite --------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'avatarbot.sqlite3'}"


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, _migrated_sqlite_template: Path) -> str:
    """A SQLite database at head, private to this test (a copy of one migrated per session)."""
    path = tmp_path / "avatarbot.sqlite3"
    shutil.copyfile(_migrated_sqlite_template, path)
    return f"sqlite:///{path}"


# -- either database ---------------------------------------------------------------------


def _clean_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A database at head with no rows: a private SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return request.getfixturevalue("migrated_sqlite_url")
    url = request.getfixturevalue("postgres_url")
    _clean_postgres(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


# -- images and Redis ------------------------------------------------------------------------


@pytest.fixture
def image_store(tmp_path: Path) -> LocalImageStore:
    """The embedded default store, in the test's folder (tests/s3_server.py has the S3 one)."""
    store = make_image_store(Settings(image_dir=tmp_path / "images"))
    assert isinstance(store, LocalImageStore)
    return store


@pytest.fixture
def redis_url() -> str:
    """The test Redis. Share it politely: use `redis_prefix` for every key and channel name."""
    require_service("redis")
    return REDIS_BASE_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key/channel prefix unique to this test; keys under it are deleted afterwards."""
    import redis

    prefix = f"avatarbot-test:{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
