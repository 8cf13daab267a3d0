"""Finished-job notifications through Redis pub/sub and through database polling."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.notify import JobEvent, JobNotifier, PollingNotifier, RedisNotifier, make_notifier
from core.settings import Settings
from core.spec import parse_spec

KEY = "cd" * 32


def queue_jobs(session_factory: sessionmaker[Session], count: int) -> list[int]:
    with session_factory() as session:
        jobs = repo.create_jobs(
            session, owner_id=1, spec=parse_spec({}), seeds=list(range(count)), backend="builtin"
        )
        session.commit()
        return [job.id for job in jobs]


def finish(session_factory: sessionmaker[Session], notifier: JobNotifier, job_id: int, *, fail: bool = False) -> str:
    """What a worker does: commit the outcome, then publish it."""
    with session_factory() as session:
        repo.claim_jobs(session, job_id, worker_id="w", backend="builtin")
        if fail:
            status = str(repo.mark_failed(session, job_id, "boom").status)
        else:
            status = str(repo.mark_done(session, job_id, image_key=KEY, model_version="v1").status)
        session.commit()
    notifier.publish(job_id, status)
    return status


def later(delay_s: float, action) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(delay_s), action()))
    thread.start()
    return thread


async def collect(events: AsyncIterator[JobEvent], count: int, timeout: float = 10.0) -> list[JobEvent]:
    got: list[JobEvent] = []

    async def take() -> None:
        async for event in events:
            got.append(event)
            if len(got) == count:
                return

    await asyncio.wait_for(take(), timeout)
    await events.aclose()  # type: ignore[attr-defined]
    return got


async def listening_started(notifier: JobNotifier) -> None:
    """Wait until a fresh events() stream is subscribed (Redis) or has taken its starting point (polling)."""
    if isinstance(notifier, RedisNotifier):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if notifier._redis().pubsub_numsub(notifier.channel)[0][1] > 0:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the event stream never subscribed")
    await asyncio.sleep(1.0)  # one database query, in a thread


@pytest.fixture(params=["redis", "polling"])
def notifier(request: pytest.FixtureRequest, session_factory: sessionmaker[Session]) -> JobNotifier:
    if request.param == "polling":
        return PollingNotifier(session_factory, interval_s=0.05)
    prefix = request.getfixturevalue("redis_prefix")
    result = RedisNotifier(request.getfixturevalue("redis_url"), channel=f"{prefix}:jobs")
    request.addfinalizer(result.close)
    return result


def test_wait_for_sees_jobs_finished_before_and_while_waiting(
    notifier: JobNotifier, session_factory: sessionmaker[Session]
) -> None:
    early, late, failing, never = queue_jobs(session_factory, 4)
    finish(session_factory, notifier, early)  # before anyone waits

    threads = [
        later(0.2, lambda: finish(session_factory, notifier, late)),
        later(0.3, lambda: finish(session_factory, notifier, failing, fail=True)),
    ]
    started = time.monotonic()
    result = notifier.wait_for([early, late, failing], timeout=10)
    waited = time.monotonic() - started
    for thread in threads:
        thread.join()

    assert result == {early: "done", late: "done", failing: "failed"}
    assert 0.25 <= waited < 5

    started = time.monotonic()
    assert notifier.wait_for([early, never], timeout=0.3) == {early: "done"}
    assert 0.25 <= time.monotonic() - started < 3


async def test_events_stream_what_finishes_from_now_on(
    notifier: JobNotifier, session_factory: sessionmaker[Session]
) -> None:
    old, first, second = queue_jobs(session_factory, 3)
    await asyncio.to_thread(finish, session_factory, notifier, old)  # before listening: not news

    events = notifier.events()
    listening = asyncio.create_task(collect(events, 2))
    await listening_started(notifier)
    await asyncio.to_thread(finish, session_factory, notifier, first)
    await asyncio.to_thread(finish, session_factory, notifier, second, fail=True)

    assert await listening == [JobEvent(first, "done"), JobEvent(second, "failed")]


def test_redis_wait_for_falls_back_to_the_database(
    redis_url: str, redis_prefix: str, session_factory: sessionmaker[Session]
) -> None:
    # A worker that committed but died before publishing: the database still answers.
    [job_id] = queue_jobs(session_factory, 1)
    silent = PollingNotifier(session_factory)
    finish(session_factory, silent, job_id)
    without_db = RedisNotifier(redis_url, channel=f"{redis_prefix}:jobs")
    with_db = RedisNotifier(redis_url, channel=f"{redis_prefix}:jobs", session_factory=session_factory)
    try:
        assert without_db.wait_for([job_id], timeout=0.1) == {}
        assert with_db.wait_for([job_id], timeout=0.1) == {job_id: "done"}
    finally:
        without_db.close()
        with_db.close()


def test_make_notifier_picks_redis_when_configured() -> None:
    def no_database() -> Session:
        raise AssertionError("make_notifier must not open a session")

    embedded = Settings(broker_url="filesystem", redis_url=None)
    assert isinstance(make_notifier(embedded, no_database), PollingNotifier)
    with_redis = Settings(broker_url="filesystem", redis_url="redis://example:6379/1")
    redis_notifier = make_notifier(with_redis, no_database)
    assert isinstance(redis_notifier, RedisNotifier) and redis_notifier.url == "redis://example:6379/1"
    via_broker = make_notifier(Settings(broker_url="redis://broker:6379/0", redis_url=None), no_database)
    assert isinstance(via_broker, RedisNotifier) and via_broker.url == "redis://broker:6379/0"
