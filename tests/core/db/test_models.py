"""Column behaviour that must be the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.models import Guild, Job, User
from core.spec import parse_spec


def test_times_come_back_as_aware_utc(session_factory: sessionmaker[Session]) -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2024, 5, 1, 14, 30, 15, 123456, tzinfo=plus_two)
    with session_factory() as session:
        session.add(User(id=1, banned=False, created_at=moment))
        session.commit()
    with session_factory() as session:
        created = session.get_one(User, 1).created_at
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert created == moment and created.hour == 12


def test_naive_times_are_refused(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        session.add(User(id=1, banned=False, created_at=datetime(2024, 5, 1, 12, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()


def test_in_place_changes_to_guild_settings_are_saved(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        session.add(Guild(id=42, settings={"review_mode": "off"}))
        session.commit()
    with session_factory() as session:
        guild = session.get_one(Guild, 42)
        guild.settings["review_mode"] = "everything"  # no reassignment: MutableDict tracks it
        session.commit()
    with session_factory() as session:
        assert session.get_one(Guild, 42).settings == {"review_mode": "everything"}


def test_the_database_refuses_an_unknown_status(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = repo.create_jobs(session, owner_id=1, spec=parse_spec({}), seeds=[1], backend="builtin")
        session.commit()
        # Bypass the Enum type, as a buggy raw query would: the CHECK constraint still holds.
        with pytest.raises(IntegrityError):
            session.execute(text("UPDATE avatars SET status = 'lost' WHERE id = :id"), {"id": job.id})
        session.rollback()
        with pytest.raises(StatementError):
            session.execute(update(Job).where(Job.id == job.id).values(status="lost"))


def test_foreign_keys_are_enforced(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        session.add(
            Job(owner_id=999, request_id="r", spec={}, seed=1, backend="builtin", queued_at=datetime.now(UTC))
        )
        with pytest.raises(IntegrityError):
            session.flush()
