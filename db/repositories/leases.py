"""Who may act on a job: guarded updates for workers and reconcilers running at the same time.

A worker that lost its job (the reconciler thought it dead and gave the job to
another worker) must not finish it; of several reconcilers, only one may re-send
a job. Each function is one conditional UPDATE; the caller acts only when it matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Optional

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from db.models import Avatar, JobStatus, utcnow

_avatars = Avatar.__table__


def hold_job(session: Session, job_id: int, *, worker_id: str) -> bool:
    """True if `worker_id` still runs the job; the row then stays locked until the transaction ends.

    A no-op UPDATE guarded by status and worker: on PostgreSQL it locks the row, on SQLite it
    takes the database's write lock, so the caller's following update cannot race a reconciler.
    """
    result = session.execute(
        update(_avatars)
        .where(_avatars.c.id == job_id, _avatars.c.status == JobStatus.RUNNING, _avatars.c.worker_id == worker_id)
        .values(worker_id=worker_id)
    )
    return result.rowcount == 1


def lock_jobs(session: Session, job_ids: Sequence[int]) -> None:
    """Lock these jobs' rows until the transaction ends, first waiting for any worker that holds
    one of them (hold_job) to commit its result.

    Whoever removes jobs calls this before reading what to clean up after them (their image keys):
    a result stored meanwhile is then seen, and no worker can store one afterwards. A no-op UPDATE,
    like hold_job: row locks on PostgreSQL, the database's write lock on SQLite.
    """
    if job_ids:
        session.execute(update(_avatars).where(_avatars.c.id.in_(list(job_ids))).values(status=_avatars.c.status))


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
    cutoff = now - timedelta(seconds=lease_s)
    last_sent = func.coalesce(_avatars.c.enqueued_at, _avatars.c.queued_at)
    result = session.execute(
        update(_avatars)
        .where(_avatars.c.id == job_id, _avatars.c.status == JobStatus.QUEUED, last_sent <= cutoff)
        .values(enqueued_at=now)
    )
    _expire(session, job_id)
    return result.rowcount == 1


def _expire(session: Session, job_id: int) -> None:
    existing = session.identity_map.get(session.identity_key(Avatar, job_id))  # type: ignore[arg-type]
    if existing is not None:
        session.expire(existing)
