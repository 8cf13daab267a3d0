"""The job life cycle in the database: create, claim (also under races), finish, retry, reconcile."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.models import Job, JobStatus, ReviewState, User, Worker, utcnow
from core.errors import InvalidSpec, JobStateConflict, NotFound
from core.spec import parse_spec

OWNER = 123456789012345678  # Discord ids are bigger than 32 bits
KEY = "ab" * 32


def make_jobs(
    session: Session, count: int = 1, *, backend: str = "builtin", owner_id: int = OWNER, **kwargs
) -> list[Job]:
    spec = parse_spec({"style": "lorelei", "hair": "bun", "count": min(count, 4)})
    jobs = repo.create_jobs(
        session, owner_id=owner_id, spec=spec, seeds=list(range(1, count + 1)), backend=backend, **kwargs
    )
    session.commit()
    return jobs


def age(session: Session, job_ids: Sequence[int], seconds: float, **columns: bool) -> None:
    """Move the named time columns of some jobs `seconds` into the past."""
    past = utcnow() - timedelta(seconds=seconds)
    session.execute(update(Job).where(Job.id.in_(job_ids)).values({c: past for c in columns}))
    session.commit()


# -- create / get -----------------------------------------------------------------------


def test_create_jobs_queues_one_job_per_seed_under_one_request(session_factory: sessionmaker[Session]) -> None:
    spec = parse_spec({"style": "lorelei", "hair_color": "pink", "count": 2})
    with session_factory() as session:
        jobs = repo.create_jobs(
            session,
            owner_id=OWNER,
            spec=spec,
            seeds=[7, 2**32 - 1],
            backend="builtin",
            kind="variation",
            guild_id=2**60,
            channel_id=2**61,
            params={"strength": 0.4, "variation_seed": 9},
            visibility="private",
        )
        session.commit()
        ids = [job.id for job in jobs]
    with session_factory() as session:
        loaded = [repo.get_job(session, i) for i in ids]
        assert [j.seed for j in loaded] == [7, 2**32 - 1]
        assert {j.status for j in loaded} == {JobStatus.QUEUED}
        assert len({j.request_id for j in loaded}) == 1
        assert repo.request_jobs(session, loaded[0].request_id) == loaded
        job = loaded[0]
        assert job.avatar_spec == spec and job.spec == {"count": 2, "hair_color": "pink", "style": "lorelei"}
        assert (job.kind, job.visibility, job.review_state) == ("variation", "private", ReviewState.NONE)
        assert (job.owner_id, job.guild_id, job.channel_id) == (OWNER, 2**60, 2**61)
        assert job.params == {"strength": 0.4, "variation_seed": 9}
        assert job.attempts == 0 and job.queued_at.tzinfo is not None
        assert session.get(User, OWNER) is not None


@pytest.mark.parametrize("seeds", [[], [-1], [2**32], ["7"]])
def test_create_jobs_refuses_bad_seeds(session_factory: sessionmaker[Session], seeds: list) -> None:
    with session_factory() as session, pytest.raises(InvalidSpec):
        repo.create_jobs(session, owner_id=OWNER, spec=parse_spec({}), seeds=seeds, backend="builtin")


def test_get_job_of_a_missing_id_raises_not_found(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, pytest.raises(NotFound, match="#404"):
        repo.get_job(session, 404)


# -- claim ------------------------------------------------------------------------------


def test_claim_takes_a_queued_job_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = make_jobs(session)
        [claimed] = repo.claim_jobs(session, job.id, worker_id="w1", backend="builtin")
        session.commit()
        assert (claimed.id, claimed.status, claimed.worker_id, claimed.attempts) == (job.id, "running", "w1", 1)
        assert claimed.started_at is not None
        # A redelivered message finds nothing to do.
        assert repo.claim_jobs(session, job.id, worker_id="w2", backend="builtin") == []


def test_batch_claim_takes_the_job_first_then_the_oldest_of_the_same_backend(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        first, second, third, fourth = make_jobs(session, 4)
        [other_backend] = make_jobs(session, backend="stable-diffusion")
        age(session, [first.id], 60, queued_at=True)
        claimed = repo.claim_jobs(session, third.id, worker_id="w1", backend="builtin", limit=3)
        session.commit()
        assert [j.id for j in claimed] == [third.id, first.id, second.id]
        assert {j.status for j in claimed} == {JobStatus.RUNNING}
        assert repo.get_job(session, fourth.id).status == JobStatus.QUEUED
        assert repo.get_job(session, other_backend.id).status == JobStatus.QUEUED
        # The named job was taken: a batch claim still picks up the rest.
        assert [j.id for j in repo.claim_jobs(session, third.id, worker_id="w2", backend="builtin", limit=4)] == [
            fourth.id
        ]


def test_claim_rejects_a_limit_below_one(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, pytest.raises(ValueError):
        repo.claim_jobs(session, 1, worker_id="w", backend="builtin", limit=0)


def _race(session_factory: sessionmaker[Session], contenders: int, claim) -> list[list[int]]:
    """Run `claim(session, name)` in `contenders` threads released at the same moment."""
    barrier = threading.Barrier(contenders)
    results: list[list[int]] = [[] for _ in range(contenders)]
    errors: list[BaseException] = []

    def contend(index: int) -> None:
        try:
            with session_factory() as session:
                barrier.wait(timeout=10)
                results[index] = [job.id for job in claim(session, f"worker-{index}")]
                session.commit()
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_two_workers_racing_for_one_job_one_wins(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        jobs = make_jobs(session, 8)
    for job in jobs:
        results = _race(
            session_factory,
            3,
            lambda s, name, job_id=job.id: repo.claim_jobs(s, job_id, worker_id=name, backend="builtin"),
        )
        winners = [r for r in results if r]
        assert winners == [[job.id]], results
    with session_factory() as session:
        assert all(repo.get_job(session, job.id).attempts == 1 for job in jobs)


def test_racing_batch_claims_take_each_job_exactly_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        jobs = make_jobs(session, 12)
    claims: Counter[int] = Counter()
    for _ in range(6):
        results = _race(
            session_factory,
            3,
            lambda s, name: repo.claim_jobs(s, jobs[0].id, worker_id=name, backend="builtin", limit=3),
        )
        claims.update(job_id for result in results for job_id in result)
        if len(claims) == len(jobs):
            break
    assert claims == Counter({job.id: 1 for job in jobs})


# -- finish / fail / retry ----------------------------------------------------------


def test_mark_done_finishes_a_running_job_only(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = make_jobs(session)
        with pytest.raises(JobStateConflict, match="queued, not running"):
            repo.mark_done(session, job.id, image_key=KEY, model_version="v1")
        repo.claim_jobs(session, job.id, worker_id="w1", backend="builtin")
        done = repo.mark_done(session, job.id, image_key=KEY, model_version="builtin-v1")
        session.commit()
        assert (done.status, done.image_key, done.model_version) == ("done", KEY, "builtin-v1")
        assert done.finished_at is not None and done.finished_at >= done.started_at
        assert done.review_state == ReviewState.NONE and done.finished
        with pytest.raises(JobStateConflict, match="done, not running"):
            repo.mark_done(session, job.id, image_key=KEY, model_version="v1")
        with pytest.raises(NotFound):
            repo.mark_done(session, 10_000, image_key=KEY, model_version="v1")


def test_a_flagged_image_waits_for_review(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = make_jobs(session)
        repo.claim_jobs(session, job.id, worker_id="w1", backend="builtin")
        flagged = repo.mark_done(session, job.id, image_key=KEY, model_version="v1", flagged=True)
        session.commit()
        assert (flagged.status, flagged.review_state) == (JobStatus.FLAGGED, ReviewState.PENDING)
        assert [a.id for a in repo.review_queue_page(session, guild_id=None).items] == [job.id]


def test_mark_failed_keeps_a_readable_error(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        queued, running = make_jobs(session, 2)
        repo.claim_jobs(session, running.id, worker_id="w1", backend="builtin")
        assert repo.mark_failed(session, queued.id, "no such style").status == JobStatus.FAILED
        failed = repo.mark_failed(session, running.id, "x" * 5000)
        session.commit()
        assert failed.error == "x" * repo.MAX_ERROR_CHARS and failed.finished_at is not None
        with pytest.raises(JobStateConflict):
            repo.mark_failed(session, running.id, "again")


def test_release_puts_a_running_job_back_in_its_place(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        first, second = make_jobs(session, 2)
        repo.claim_jobs(session, first.id, worker_id="w1", backend="builtin")
        released = repo.release_job(session, first.id, error="device busy")
        session.commit()
        assert (released.status, released.worker_id, released.started_at) == ("queued", None, None)
        assert (released.error, released.attempts) == ("device busy", 1)
        assert repo.queue_position(session, first.id) == 0 and repo.queue_position(session, second.id) == 1
        with pytest.raises(JobStateConflict):
            repo.release_job(session, first.id)
        [again] = repo.claim_jobs(session, first.id, worker_id="w2", backend="builtin")
        assert again.attempts == 2


def test_enqueued_times(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        first, second = make_jobs(session, 2)
        assert first.enqueued_at is None
        repo.mark_enqueued(session, [first.id, second.id])
        session.commit()
        assert first.enqueued_at is not None and second.enqueued_at is not None


# -- queue views ---------------------------------------------------------------------------


def test_queue_position_counts_queued_jobs_of_the_same_backend_ahead(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        a, b, c = make_jobs(session, 3)
        [other] = make_jobs(session, backend="stable-diffusion")
        assert [repo.queue_position(session, j.id) for j in (a, b, c, other)] == [0, 1, 2, 0]
        repo.claim_jobs(session, a.id, worker_id="w", backend="builtin")
        session.commit()
        assert [repo.queue_position(session, j.id) for j in (a, b, c)] == [0, 0, 1]


def test_job_statuses_and_jobs_finished_since(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        a, b, c = make_jobs(session, 3)
        before = utcnow()
        repo.claim_jobs(session, a.id, worker_id="w", backend="builtin", limit=2)
        repo.mark_done(session, a.id, image_key=KEY, model_version="v1")
        repo.mark_failed(session, b.id, "boom")
        session.commit()
        assert repo.job_statuses(session, [a.id, b.id, c.id, 999]) == {
            a.id: JobStatus.DONE,
            b.id: JobStatus.FAILED,
            c.id: JobStatus.QUEUED,
        }
        assert [j.id for j in repo.jobs_finished_since(session, before)] == [a.id, b.id]
        assert repo.jobs_finished_since(session, utcnow() + timedelta(seconds=1)) == []


def test_counts_for_quotas(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        a, _ = make_jobs(session, 2, guild_id=5)
        make_jobs(session, 1, guild_id=6)
        repo.claim_jobs(session, a.id, worker_id="w", backend="builtin")
        repo.mark_done(session, a.id, image_key=KEY, model_version="v1")
        session.commit()
        an_hour_ago = utcnow() - timedelta(hours=1)
        assert repo.count_user_jobs_since(session, OWNER, an_hour_ago) == 3
        assert repo.count_user_jobs_since(session, OWNER, an_hour_ago, guild_id=5) == 2
        assert repo.count_user_jobs_since(session, OWNER, utcnow() + timedelta(seconds=1)) == 0
        assert repo.count_active_jobs(session, OWNER) == 2


# -- workers and the reconciler's queries --------------------------------------------------


def test_heartbeat_registers_and_refreshes_a_worker(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        repo.heartbeat(session, worker_id="celery@a-1", backend="builtin", hostname="a", pid=1)
        repo.heartbeat(session, worker_id="celery@b-2", backend="stable-diffusion", hostname="b", pid=2)
        session.commit()
        [first] = repo.live_workers(session, dead_after_s=30, backend="builtin")
        seen = first.last_seen
        repo.heartbeat(session, worker_id="celery@a-1", backend="builtin", hostname="a", pid=1)
        session.commit()
        [again] = repo.live_workers(session, dead_after_s=30, backend="builtin")
        assert again.last_seen > seen and again.started_at == first.started_at
        assert [w.id for w in repo.live_workers(session, dead_after_s=30)] == ["celery@a-1", "celery@b-2"]
        repo.forget_worker(session, "celery@b-2")
        session.commit()
        assert [w.id for w in repo.live_workers(session, dead_after_s=30)] == ["celery@a-1"]


def test_stale_running_jobs_are_those_of_dead_or_unknown_workers(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        alive, dead, unknown, fresh = make_jobs(session, 4)
        repo.heartbeat(session, worker_id="alive", backend="builtin", hostname="h", pid=1)
        repo.heartbeat(session, worker_id="dead", backend="builtin", hostname="h", pid=2)
        for job, worker in ((alive, "alive"), (dead, "dead"), (unknown, "never-registered"), (fresh, "just-born")):
            repo.claim_jobs(session, job.id, worker_id=worker, backend="builtin")
        session.commit()
        age(session, [alive.id, dead.id, unknown.id], 120, started_at=True)
        session.execute(update(Worker).where(Worker.id == "dead").values(last_seen=utcnow() - timedelta(seconds=120)))
        session.commit()
        stale = repo.stale_running_jobs(session, dead_after_s=30)
        # `fresh` started moments ago: its worker gets time to send a first heartbeat.
        assert sorted(j.id for j in stale) == sorted([dead.id, unknown.id])


def test_stale_queued_jobs_are_those_without_a_recent_message(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        never_sent, sent_long_ago, sent_now, just_created = make_jobs(session, 4)
        age(session, [never_sent.id, sent_long_ago.id, sent_now.id], 600, queued_at=True)
        repo.mark_enqueued(session, [sent_long_ago.id, sent_now.id])
        session.commit()
        age(session, [sent_long_ago.id], 300, enqueued_at=True)
        stale = repo.stale_queued_jobs(session, lease_s=120)
        assert [j.id for j in stale] == [never_sent.id, sent_long_ago.id]


@pytest.mark.parametrize("avatar_id", [2**31, 2**63 - 1, 2**63 + 5, 0, -1])
def test_an_id_no_job_can_have_is_not_found_without_reaching_the_column(session_factory, avatar_id) -> None:
    """PostgreSQL's INTEGER key overflows at 2^31 (and SQLite's at 2^63): such an id names no avatar."""
    with session_factory() as session:
        assert repo.find_job(session, avatar_id) is None
        with pytest.raises(NotFound, match=rf"avatar #{avatar_id} does not exist"):
            repo.get_job(session, avatar_id)
        with pytest.raises(NotFound, match=rf"avatar #{avatar_id} does not exist"):
            repo.get_visible_avatar(session, avatar_id, viewer_id=1)
        with pytest.raises(NotFound):
            repo.delete_avatar(session, avatar_id, owner_id=1)
        with pytest.raises(NotFound):
            repo.add_favourite(session, 1, avatar_id)
