"""Leases on jobs, and who may act on a job: the reconciler's queries and guarded updates for
workers and reconcilers running at the same time.

Two leases: a queued job's last broker message (`enqueued_at`, or its creation when never sent)
is good for `queued_lease_s`; a running job is its worker's while that worker's heartbeat is
younger than `worker_dead_after_s`. `expired_before` is the one place a lease runs out.

A worker that lost its job (the reconciler thought it dead and gave the job to
another worker) must not finish it; of several reconcilers, only one may re-send
a job. Each function is one conditional UPDATE; the caller acts only when it matched.

Whoever locks several job rows in one transaction locks them lowest id first (in_id_order), in
one statement or in a loop over sorted ids: two transactions wanting some of the same rows (a
batch worker storing its results, a multi-avatar delete, the reconciler) then wait for each other
instead of deadlocking on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import Session

from core.db.models import Job, JobStatus, Worker, utcnow

_avatars = Job.__table__


def expired_before(lease_s: float, *, now: Optional[datetime] = None) -> datetime:
    """Leases of `lease_s` seconds taken before this moment have run out by `now` (default: this process's clock)."""
    return (now or utcnow()) - timedelta(seconds=lease_s)


def _last_sent() -> ColumnElement[datetime]:
    # A queued job's lease starts at its last broker message, or at its creation if it was never sent.
    return func.coalesce(_avatars.c.enqueued_at, _avatars.c.queued_at)


def stale_running_jobs(session: Session, *, dead_after_s: float) -> list[Job]:
    """Running jobs whose worker has not been seen for `dead_after_s` (or never registered)."""
    cutoff = expired_before(dead_after_s)
    worker_alive = exists().where(Worker.id == Job.worker_id, Worker.last_seen >= cutoff)
    query = (
        select(Job)
        .where(Job.status == JobStatus.RUNNING, Job.started_at < cutoff, ~worker_alive)
        .order_by(Job.queued_at, Job.id)
    )
    return list(session.scalars(query))


def stale_queued_jobs(session: Session, *, lease_s: float) -> list[Job]:
    """Queued jobs with no broker message sent in the last `lease_s` seconds (never sent counts
    from when the job was queued), oldest first."""
    query = (
        select(Job)
        .where(Job.status == JobStatus.QUEUED, _last_sent() < expired_before(lease_s))
        .order_by(Job.queued_at, Job.id)
    )
    return list(session.scalars(query))


def in_id_order(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`avatars.id IN (the rows matching condition)`, those rows locked lowest id first.

    For an UPDATE that changes several jobs: UPDATE alone locks rows in whatever order its plan
    visits them. The materialised sub-select locks them (PostgreSQL: FOR NO KEY UPDATE, what an
    UPDATE takes, so a foreign key check on them still passes) in id order before the UPDATE
    touches any; SQLite ignores the row lock, its UPDATE takes the database's write lock.
    """
    locked = (
        select(_avatars.c.id)
        .where(condition)
        .order_by(_avatars.c.id)
        .with_for_update(key_share=True)
        .cte("locked_in_id_order", nesting=True)
        .prefix_with("MATERIALIZED")
    )
    # nesting: the WITH goes inside the IN (...), so the statement still starts with UPDATE, which
    # is what makes Python's sqlite3 open a transaction (a leading WITH would run it in autocommit
    # and let the write lock go at once).
    return _avatars.c.id.in_(select(locked.c.id))


def hold_jobs(session: Session, job_ids: Collection[int], *, worker_id: str) -> set[int]:
    """Those of `job_ids` that `worker_id` still runs; their rows then stay locked until the
    transaction ends (all of them, lowest id first).

    A no-op UPDATE guarded by status and worker: on PostgreSQL it locks the rows, on SQLite it
    takes the database's write lock, so the caller's following updates cannot race a reconciler.
    """
    if not job_ids:
        return set()
    result = session.execute(
        update(_avatars)
        .where(
            in_id_order(_avatars.c.id.in_(list(job_ids))),
            _avatars.c.status == JobStatus.RUNNING,
            _avatars.c.worker_id == worker_id,
        )
        .values(worker_id=worker_id)
        .returning(_avatars.c.id)
    )
    return set(result.scalars())


def lock_jobs(session: Session, job_ids: Collection[int]) -> None:
    """Lock these jobs' rows, and those of the jobs made from them (variations, mixes: a deletion
    clears their link), until the transaction ends, first waiting for any worker that holds one of
    them (hold_jobs) to commit its result. All in one statement, lowest id first.

    Whoever removes jobs calls this before reading what to clean up after them (their image keys):
    a result stored meanwhile is then seen, and no worker can store one afterwards.
    """
    if job_ids:
        ids = list(job_ids)
        made_from = or_(_avatars.c.id.in_(ids), _avatars.c.parent_id.in_(ids), _avatars.c.mix_parent_id.in_(ids))
        session.execute(update(_avatars).where(in_id_order(made_from)).values(status=_avatars.c.status))


def return_job_from_dead_worker(session: Session, job_id: int, *, worker_id: Optional[str]) -> bool:
    """running on `worker_id` -> queued. False when the job moved on (another reconciler returned it,
    or it finished, or a live worker claimed it since)."""
    owner = _avatars.c.worker_id.is_(None) if worker_id is None else _avatars.c.worker_id == worker_id
    result = session.execute(
        update(_avatars)
        .where(_avatars.c.id == job_id, _avatars.c.status == JobStatus.RUNNING, owner)
        .values(status=JobStatus.QUEUED, worker_id=None, started_at=None)
    )
    _expire(session, job_id)
    return result.rowcount == 1


def reserve_reenqueue(session: Session, job_id: int, *, lease_s: float) -> bool:
    """Take the right to send a new message for a queued job whose last one is older than `lease_s`.

    Sets enqueued_at to now only if the job is still queued and its last message (or, never sent,
    its creation) is older than the lease: of several reconcilers racing, exactly one gets True.
    """
    now = utcnow()
    result = session.execute(
        update(_avatars)
        .where(
            _avatars.c.id == job_id,
            _avatars.c.status == JobStatus.QUEUED,
            _last_sent() <= expired_before(lease_s, now=now),
        )
        .values(enqueued_at=now)
    )
    _expire(session, job_id)
    return result.rowcount == 1


def _expire(session: Session, job_id: int) -> None:
    existing = session.identity_map.get(session.identity_key(Job, job_id))  # type: ignore[arg-type]
    if existing is not None:
        session.expire(existing)
