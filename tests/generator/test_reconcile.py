"""The reconciler on a real database and real brokers (filesystem folder, Redis lists), without workers."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.models import Job, JobStatus, utcnow
from core.db.repositories.leases import reserve_reenqueue
from core.dispatch import enqueue_generate, filesystem_queue_dir, make_producer
from core.settings import Settings
from core.spec import parse_spec
from generator.reconcile import job_ids_in_broker, reconcile


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values = {"data_dir": tmp_path, "queued_lease_s": 60, "worker_dead_after_s": 30, "max_attempts": 3}
    return Settings(**{**values, **overrides})


def create(session_factory: sessionmaker[Session], count: int = 1) -> list[int]:
    with session_factory() as session:
        rows = repo.create_jobs(
            session, owner_id=3, spec=parse_spec({}), seeds=list(range(count)), backend="builtin"
        )
        session.commit()
        return [row.id for row in rows]


def age(session_factory: sessionmaker[Session], job_ids: list[int], seconds: float, **columns: object) -> None:
    """Move the jobs' clocks back, as if they had been waiting for `seconds`."""
    past = utcnow() - timedelta(seconds=seconds)
    with session_factory() as session:
        session.execute(
            update(Job).where(Job.id.in_(job_ids)).values(queued_at=past, enqueued_at=past, **columns)
        )
        session.commit()


def claim(session_factory: sessionmaker[Session], job_id: int, worker_id: str) -> None:
    with session_factory() as session:
        repo.claim_jobs(session, job_id, worker_id=worker_id, backend="builtin")
        session.commit()


def in_folder(settings: Settings) -> list[int]:
    return sorted(job_ids_in_broker(settings))


@pytest.fixture
def producer(tmp_path: Path):
    app = make_producer(make_settings(tmp_path))
    yield app
    app.close()


def test_a_queued_job_whose_message_was_lost_is_sent_again_once(tmp_path, session_factory, producer) -> None:
    settings = make_settings(tmp_path)
    lost, fresh = create(session_factory, 2)
    age(session_factory, [lost], 120)

    report = reconcile(settings, session_factory, producer)

    assert report.resent_lost == [lost]
    assert in_folder(settings) == [lost]  # the fresh one is still inside its lease
    # Right after, the lease starts again: a second reconciler round sends nothing.
    assert reconcile(settings, session_factory, producer).resent_lost == []
    assert in_folder(settings) == [lost]


def test_a_stale_job_whose_message_is_still_in_the_broker_is_left_alone(tmp_path, session_factory, producer) -> None:
    settings = make_settings(tmp_path)
    [waiting] = create(session_factory)
    enqueue_generate(producer, [waiting], settings.queue_name)
    age(session_factory, [waiting], 120)  # a long queue, not a lost message

    report = reconcile(settings, session_factory, producer)

    assert report.resent_lost == [] and report.still_in_broker == [waiting]
    assert in_folder(settings) == [waiting]


def test_a_running_job_of_a_dead_worker_goes_back_to_the_queue(tmp_path, session_factory, producer) -> None:
    settings = make_settings(tmp_path)
    dead_job, live_job = create(session_factory, 2)
    with session_factory() as session:
        repo.heartbeat(session, worker_id="dead@host", backend="builtin", hostname="host", pid=1)
        repo.heartbeat(session, worker_id="live@host", backend="builtin", hostname="host", pid=2)
        session.commit()
    claim(session_factory, dead_job, "dead@host")
    claim(session_factory, live_job, "live@host")
    age(session_factory, [dead_job, live_job], 120, started_at=utcnow() - timedelta(seconds=100))
    with session_factory() as session:  # only the dead worker has stopped beating
        from core.db.models import Worker

        session.execute(update(Worker).where(Worker.id == "dead@host").values(last_seen=utcnow() - timedelta(hours=1)))
        session.commit()

    report = reconcile(settings, session_factory, producer)

    assert report.returned_from_dead == [dead_job]
    with session_factory() as session:
        returned = repo.get_job(session, dead_job)
        assert returned.status == JobStatus.QUEUED and returned.worker_id is None and returned.attempts == 1
        assert repo.get_job(session, live_job).status == JobStatus.RUNNING
    assert in_folder(settings) == [dead_job]


def test_after_max_attempts_the_job_fails_saying_why(tmp_path, session_factory, producer) -> None:
    settings = make_settings(tmp_path, max_attempts=1)
    [job_id] = create(session_factory)
    claim(session_factory, job_id, "gone@host")  # never heartbeated: it counts as dead
    age(session_factory, [job_id], 120, started_at=utcnow() - timedelta(seconds=100))

    report = reconcile(settings, session_factory, producer)

    assert report.gave_up == [job_id]
    with session_factory() as session:
        row = repo.get_job(session, job_id)
    assert row.status == JobStatus.FAILED
    assert row.error == (
        "gave up after 1 attempts: worker gone@host died (no heartbeat for 30 s) while rendering"
    )
    assert in_folder(settings) == []


def test_racing_reconcilers_reserve_each_job_once(session_factory, db_url) -> None:
    job_ids = create(session_factory, 20)
    age(session_factory, job_ids, 120)
    wins: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def reconciler() -> None:
        barrier.wait()
        for job_id in job_ids:
            with session_factory() as session:
                won = reserve_reenqueue(session, job_id, lease_s=60)
                session.commit()
            if won:
                with lock:
                    wins.append(job_id)

    threads = [threading.Thread(target=reconciler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(wins) == job_ids


def test_redis_queue_and_unacked_messages_count_as_in_flight(redis_url: str) -> None:
    import redis

    from tests.integration.conftest import flush_redis_db, redis_db_url

    url = redis_db_url(14)
    flush_redis_db(url)
    settings = Settings(broker_url=url)
    app = make_producer(settings)
    try:
        enqueue_generate(app, [11, 12], settings.queue_name)
        # A worker taking one without acknowledging it: kombu moves it from the list to the unacked hash.
        with app.connection_for_read() as connection:
            message = connection.default_channel.basic_get(settings.queue_name, no_ack=False)
            assert message is not None
            client = redis.Redis.from_url(url)
            assert client.llen(settings.queue_name) == 1 and client.hlen("unacked") == 1
            assert job_ids_in_broker(settings) == {11, 12}
            message.ack()
        assert len(job_ids_in_broker(settings)) == 1
    finally:
        app.close()
        flush_redis_db(url)


def test_filesystem_messages_are_found_in_the_queue_folder(tmp_path: Path, producer) -> None:
    settings = make_settings(tmp_path)
    enqueue_generate(producer, [7, 8], settings.queue_name)
    (filesystem_queue_dir(settings) / "junk.avatars.builtin.msg").write_text("not json")
    assert in_folder(settings) == [7, 8]


def test_jobs_of_another_backend_are_left_to_its_own_reconciler(tmp_path, session_factory, producer) -> None:
    settings = make_settings(tmp_path)
    with session_factory() as session:
        [row] = repo.create_jobs(session, owner_id=3, spec=parse_spec({}), seeds=[1], backend="stable-diffusion")
        session.commit()
    age(session_factory, [row.id], 120)

    assert reconcile(settings, session_factory, producer).resent_lost == []
    assert in_folder(settings) == []


def test_jobs_are_locked_lowest_id_first_whatever_their_age(tmp_path, session_factory, producer, monkeypatch) -> None:
    # Each round's transactions lock several jobs one by one: in id order, like every other
    # locker (core.db.repositories.leases), so a batch worker or a deletion cannot deadlock with it.
    import generator.reconcile as reconcile_module

    settings = make_settings(tmp_path)
    dead = create(session_factory, 3)
    lost = create(session_factory, 2)
    for job_id in dead:
        claim(session_factory, job_id, "gone@host")  # never heartbeated: it counts as dead
    for index, job_id in enumerate(dead + lost):  # the higher the id, the older the job
        age(session_factory, [job_id], 200 + 10 * index, started_at=utcnow() - timedelta(seconds=100))
    order: dict[str, list[int]] = {"return": [], "reserve": []}

    def recording(name: str, real):
        def locker(session: Session, job_id: int, **kwargs: object) -> bool:
            order[name].append(job_id)
            return real(session, job_id, **kwargs)

        return locker

    for name, function in (("return", "return_job_from_dead_worker"), ("reserve", "reserve_reenqueue")):
        monkeypatch.setattr(reconcile_module, function, recording(name, getattr(reconcile_module, function)))

    report = reconcile(settings, session_factory, producer)

    assert sorted(report.returned_from_dead) == dead and sorted(report.resent_lost) == lost
    assert order == {"return": dead, "reserve": dead + lost}


def test_now_resends_a_queued_job_without_a_message_whatever_its_lease(tmp_path, session_factory, producer) -> None:
    """After a broker outage (`avatarbot reconcile --now`, a worker reconnecting) nobody waits the lease."""
    settings = make_settings(tmp_path, queued_lease_s=120)
    lost, in_broker = create(session_factory, 2)
    age(session_factory, [lost, in_broker], 5)  # well inside the lease
    enqueue_generate(producer, [in_broker], settings.queue_name)

    assert reconcile(settings, session_factory, producer).resent_lost == []
    report = reconcile(settings, session_factory, producer, now=True)

    assert report.resent_lost == [lost]
    assert in_folder(settings) == [lost, in_broker]  # the one with a message got no second one
    # Asked again at once (every worker reconnecting together), the job just sent is not sent twice.
    assert reconcile(settings, session_factory, producer, now=True).resent_lost == []
