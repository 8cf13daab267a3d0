"""The Alembic migrations build the whole schema on SQLite and PostgreSQL, and agree with core/db/models.py."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect

from core.db.engine import make_engine
from core.db.migrate import current_revision, downgrade, head_revision, is_up_to_date, upgrade
from core.db.models import Base, JobKind, JobStatus, ModerationActionKind, ReviewState, Visibility

pytestmark = pytest.mark.integration

TABLES = {"users", "guilds", "avatars", "workers", "favourites", "moderation_actions", "interaction_replies"}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "empty_postgres_url")


def _diff(url: str, metadata: MetaData) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_on_an_empty_database_creates_everything_and_matches_the_models(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    upgrade(empty_url)

    assert _tables(empty_url) == TABLES | {"alembic_version"}
    assert current_revision(empty_url) == head_revision()
    assert is_up_to_date(empty_url)
    # Autogenerate finds nothing to do: models and migrations describe the same schema.
    assert _diff(empty_url, Base.metadata) == []

    # ... and the comparison is not blind: a column the migrations lack shows up.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["workers"].append_column(Column("extra", Integer, nullable=True))
    diff = _diff(empty_url, changed)
    assert [(d[0], d[3].name) for d in diff] == [("add_column", "extra")]


def test_check_constraints_hold_every_enum_value(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        inspector = inspect(engine)
        checks = {c["name"]: c["sqltext"] for t in TABLES for c in inspector.get_check_constraints(t)}
    finally:
        engine.dispose()
    expected = {
        "ck_avatars_kind": JobKind,
        "ck_avatars_status": JobStatus,
        "ck_avatars_review_state": ReviewState,
        "ck_avatars_visibility": Visibility,
        "ck_moderation_actions_action": ModerationActionKind,
    }
    assert set(expected) <= set(checks)
    for name, enum_class in expected.items():
        for member in enum_class:
            assert f"'{member.value}'" in checks[name], (name, member)


def test_downgrade_to_base_and_up_again(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)  # at head already: nothing to do
    downgrade(empty_url, "base")
    assert _tables(empty_url) == {"alembic_version"}
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert _tables(empty_url) == TABLES | {"alembic_version"}


@pytest.mark.slow
def test_processes_upgrading_at_once_all_succeed(empty_url: str) -> None:
    # The CLI, a worker and a migrate job may all start together on a fresh database.
    code = "import sys; from core.db.migrate import upgrade; upgrade(sys.argv[1])"
    processes = [
        subprocess.Popen([sys.executable, "-c", code, empty_url], stderr=subprocess.PIPE, text=True) for _ in range(3)
    ]
    failures = [p.stderr.read() for p in processes if p.wait(timeout=120) != 0]  # type: ignore[union-attr]
    assert failures == []
    assert current_revision(empty_url) == head_revision()
