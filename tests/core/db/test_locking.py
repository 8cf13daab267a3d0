"""Transactions that meet on the same rows: forget-me against new jobs and favourites of the same
user, and the one order in which several job rows are locked (the deadlock guard)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.models import Favourite, Job, User
from core.db.repositories.leases import hold_jobs, lock_jobs
from core.errors import UserForgotten
from core.spec import parse_spec
from tests.core.db.locks import Race, wait_until_blocked

ALICE, BOB = 111111111111111111, 222222222222222222
WORKER = "w@host"


def new_job(session_factory: sessionmaker[Session], owner_id: int = ALICE) -> int:
    with session_factory() as session:
        [job] = repo.create_jobs(session, owner_id=owner_id, spec=parse_spec({}), seeds=[1], backend="builtin")
        session.commit()
        return job.id


def finished_of_bob(session_factory: sessionmaker[Session]) -> int:
    job_id = new_job(session_factory, BOB)
    with session_factory() as session:
        repo.claim_jobs(session, job_id, worker_id=WORKER, backend="builtin")
        repo.mark_done(session, job_id, image_key="ab" * 32, model_version="v1")
        session.commit()
    return job_id


def forget_alice(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        repo.forget_user(session, ALICE)
        session.commit()


def favourite_for_alice(session_factory: sessionmaker[Session], avatar_id: int) -> None:
    with session_factory() as session:
        repo.add_favourite(session, ALICE, avatar_id)
        session.commit()


def assert_alice_forgotten(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert session.get(User, ALICE) is None
        assert session.scalars(select(Job.id).where(Job.owner_id == ALICE)).all() == []
        assert session.scalars(select(Favourite.id).where(Favourite.user_id == ALICE)).all() == []


# -- forget-me against the same user's new rows ---------------------------------------------------


@pytest.mark.parametrize("adds", ["job", "favourite"])
def test_what_the_user_adds_while_forget_me_finishes_is_refused_readably(
    engine: Engine, session_factory: sessionmaker[Session], adds: str
) -> None:
    # Forget-me has listed and deleted everything and is about to delete the user row; a new job
    # (or favourite) arrives now. It used to slip in and break the user row's deletion (a foreign
    # key error on PostgreSQL for forget-me, on SQLite for the job).
    new_job(session_factory)
    bobs = finished_of_bob(session_factory)
    add: Callable[[], object] = (
        (lambda: new_job(session_factory)) if adds == "job" else (lambda: favourite_for_alice(session_factory, bobs))
    )
    with Race(engine) as race:
        forget = race.start(lambda: forget_alice(session_factory), name="forget-me", pause_before="DELETE FROM users")
        forget.wait_paused()
        adder = race.start(add, name=f"new {adds}")
        wait_until_blocked(engine, adder)  # done already (before the fix), or waiting for forget-me
        forget.go()
        forget_error, add_error = forget.join(), adder.join()

    assert forget_error is None
    assert isinstance(add_error, UserForgotten), repr(add_error)
    assert "forget-me" in str(add_error)
    assert_alice_forgotten(session_factory)


def test_a_job_being_made_when_forget_me_starts_is_deleted_with_the_rest(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # The job's transaction has not committed when forget-me begins: forget-me waits for it, then
    # deletes it too (it used to list the user's jobs without it, then fail on the user row).
    new_job(session_factory)
    with Race(engine) as race, session_factory() as session:
        repo.create_jobs(session, owner_id=ALICE, spec=parse_spec({}), seeds=[2, 3], backend="builtin")
        forget = race.start(lambda: forget_alice(session_factory), name="forget-me")
        wait_until_blocked(engine, forget)
        session.commit()
        forget_error = forget.join()

    assert forget_error is None
    assert_alice_forgotten(session_factory)


def test_forget_me_of_a_user_never_seen_leaves_no_row(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert repo.forget_user(session, ALICE) == []
        session.commit()
        assert session.get(User, ALICE) is None


# -- several job rows: lowest id first ------------------------------------------------------------

LOCKERS: dict[str, Callable[[Session, list[int]], object]] = {
    "delete": lambda session, ids: lock_jobs(session, ids),
    "worker": lambda session, ids: hold_jobs(session, ids, worker_id=WORKER),
    "enqueue": lambda session, ids: repo.mark_enqueued(session, ids),
}


def running_jobs(session_factory: sessionmaker[Session], count: int) -> list[int]:
    with session_factory() as session:
        jobs = repo.create_jobs(
            session, owner_id=ALICE, spec=parse_spec({}), seeds=list(range(count)), backend="builtin"
        )
        repo.claim_jobs(session, jobs[0].id, worker_id=WORKER, backend="builtin", limit=count)
        session.commit()
        return sorted(job.id for job in jobs)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("locker", sorted(LOCKERS))
def test_several_jobs_are_locked_lowest_id_first(
    engine: Engine, session_factory: sessionmaker[Session], locker: str
) -> None:
    # Two transactions locking the same rows in different orders deadlock (a batch worker and a
    # multi-avatar delete, say). So each locker must, while it waits for the lowest row, hold none
    # of the higher ones, whatever order its plan visits them in.
    lowest, *higher = running_jobs(session_factory, 3)
    with engine.begin() as connection:  # its live version now comes last in the table
        connection.execute(update(Job).where(Job.id == lowest).values(error="moved"))

    def lock_all() -> None:
        with session_factory() as session:
            # The plan that visits rows in table order, which is no longer id order.
            session.execute(text("SET LOCAL enable_indexscan = off"))
            session.execute(text("SET LOCAL enable_bitmapscan = off"))
            LOCKERS[locker](session, [*higher, lowest])
            session.commit()

    with Race(engine) as race, session_factory() as holder:
        holder.execute(select(Job.id).where(Job.id == lowest).with_for_update())
        racer = race.start(lock_all, name=locker)
        wait_until_blocked(engine, racer)
        assert not racer.done.is_set()
        held_higher = holds_some(engine, higher)
        holder.commit()
        locker_error = racer.join()

    assert locker_error is None
    assert not held_higher, f"{locker} locked higher rows before the lowest ({held_higher})"


def holds_some(engine: Engine, job_ids: list[int]) -> str:
    """Why `job_ids` cannot all be locked right now ('' when they can)."""
    try:
        with engine.connect() as probe:
            probe.execute(select(Job.id).where(Job.id.in_(job_ids)).with_for_update(nowait=True)).all()
            probe.rollback()
    except OperationalError as exc:
        return str(exc.orig).strip()
    return ""
