"""Avatar jobs: create, claim, finish, retry, and the queries the reconciler and notifier need.

Every status change is a conditional UPDATE (`... WHERE status = <expected>`),
so two processes can never both move a job out of the same state.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from core.db.models import (
    FINISHED_STATUSES,
    Job,
    JobKind,
    JobStatus,
    ReviewState,
    Visibility,
    utcnow,
)
from core.db.repositories.leases import in_id_order
from core.db.repositories.users import hold_user
from core.errors import InvalidSpec, JobStateConflict, NotFound
from core.spec import MAX_SEED, AvatarSpec

# Long tracebacks belong in logs; the row keeps a readable summary.
MAX_ERROR_CHARS = 2000

_avatars = Job.__table__


def create_jobs(
    session: Session,
    *,
    owner_id: int,
    spec: AvatarSpec,
    seeds: Sequence[int],
    backend: str,
    kind: str = "create",
    guild_id: Optional[int] = None,
    channel_id: Optional[int] = None,
    parent_id: Optional[int] = None,
    mix_parent_id: Optional[int] = None,
    params: Optional[dict[str, Any]] = None,
    visibility: str = "public",
    request_id: Optional[str] = None,
    photo_reading: Optional[dict[str, Any]] = None,
) -> list[Job]:
    """One queued job per seed, all sharing a request id. Flushes; the caller commits, then enqueues.
    `photo_reading` is what was read from a photo (attributes and confidences, never pixels)."""
    if not seeds:
        raise InvalidSpec("at least one seed is needed to make an avatar")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise InvalidSpec(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
    job_kind = JobKind(kind)
    job_visibility = Visibility(visibility)
    # Raises UserForgotten, not a foreign key error, when a forget-me of the owner wins the race.
    hold_user(session, owner_id)
    request_id = request_id or str(uuid.uuid4())
    spec_dict = json.loads(spec.to_json())
    now = utcnow()
    jobs = [
        Job(
            owner_id=owner_id,
            guild_id=guild_id,
            channel_id=channel_id,
            request_id=request_id,
            spec=spec_dict,
            seed=seed,
            kind=job_kind,
            parent_id=parent_id,
            mix_parent_id=mix_parent_id,
            params=dict(params or {}),
            photo_reading=dict(photo_reading) if photo_reading is not None else None,
            backend=backend,
            status=JobStatus.QUEUED,
            review_state=ReviewState.NONE,
            visibility=job_visibility,
            queued_at=now,
            attempts=0,
        )
        for seed in seeds
    ]
    session.add_all(jobs)
    session.flush()
    return jobs


# Job ids are the `avatars` table's INTEGER key: a larger number (a Discord option may carry up to
# 2^63) names no job, and is answered as such instead of overflowing the column in the query.
MAX_JOB_ID = 2**31 - 1


def is_job_id(value: object) -> bool:
    """Whether `value` could be a job's id (a whole number the INTEGER key can hold)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_JOB_ID


def find_job(session: Session, job_id: int) -> Optional[Job]:
    """The job with this id, or None (also for numbers no job id can be)."""
    if not is_job_id(job_id):
        return None
    return session.get(Job, job_id)


def get_job(session: Session, job_id: int) -> Job:
    job = find_job(session, job_id)
    if job is None:
        raise NotFound(f"avatar #{job_id} does not exist (it may have been deleted)")
    return job


def request_jobs(session: Session, request_id: str) -> list[Job]:
    """The jobs of one command (its `count` images), in creation order."""
    return list(session.scalars(select(Job).where(Job.request_id == request_id).order_by(Job.id)))


def job_statuses(session: Session, job_ids: Collection[int]) -> dict[int, JobStatus]:
    """Current status of each existing job among `job_ids`."""
    if not job_ids:
        return {}
    rows = session.execute(select(Job.id, Job.status).where(Job.id.in_(list(job_ids))))
    return {job_id: JobStatus(status) for job_id, status in rows}


def claim_jobs(
    session: Session, job_id: int, *, worker_id: str, backend: str, limit: int = 1, with_pack: bool = False
) -> list[Job]:
    """Atomically move `job_id` (if still queued) and up to `limit - 1` other queued jobs of `backend`
    (oldest first) to running, for this worker.

    One UPDATE ... WHERE status = 'queued' does it, so a job is claimed by exactly one
    caller: on PostgreSQL the picking subquery locks rows with FOR UPDATE SKIP LOCKED
    (racing workers take different jobs, never the same, and never wait for a lock, so
    no lock order is needed); SQLite runs a writing statement under its database lock.
    With `with_pack`, when `job_id` is a member of an expression pack, the pack's other queued
    members (same request id, kind pack) are claimed with it, whatever `limit`: a pack is drawn
    in one batched call.
    Returns the claimed jobs, `job_id` first when it was among them; an empty list when
    there was nothing to claim.
    """
    if limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit}")
    # Each pick is materialised once: re-run inside the UPDATE, PostgreSQL's SKIP LOCKED would
    # skip the rows this statement has just updated and pick others instead.
    queued = _avatars.c.status == JobStatus.QUEUED
    picks = [
        select(_avatars.c.id)
        .where(_avatars.c.id == job_id, queued)
        .with_for_update(skip_locked=True)
        .cte("picked_job")
        .prefix_with("MATERIALIZED")
    ]
    if limit > 1:
        picks.append(
            select(_avatars.c.id)
            .where(queued, _avatars.c.backend == backend, _avatars.c.id != job_id, *_not_packs(with_pack))
            .order_by(_avatars.c.queued_at, _avatars.c.id)
            .limit(limit - 1)
            .with_for_update(skip_locked=True)
            .cte("picked_others")
            .prefix_with("MATERIALIZED")
        )
    if with_pack:
        mine = select(_avatars.c.request_id).where(_avatars.c.id == job_id, _avatars.c.kind == JobKind.PACK)
        picks.append(
            select(_avatars.c.id)
            .where(queued, _avatars.c.kind == JobKind.PACK, _avatars.c.request_id == mine.scalar_subquery())
            .with_for_update(skip_locked=True)
            .cte("picked_pack")
            .prefix_with("MATERIALIZED")
        )
    picked = or_(*(_avatars.c.id.in_(select(pick.c.id)) for pick in picks))
    claimed_ids = session.scalars(
        update(_avatars)
        .where(picked, queued)
        .values(
            status=JobStatus.RUNNING,
            started_at=utcnow(),
            worker_id=worker_id,
            attempts=_avatars.c.attempts + 1,
        )
        .returning(_avatars.c.id)
    ).all()
    if not claimed_ids:
        return []
    jobs = _load(session, claimed_ids)
    jobs.sort(key=lambda job: (job.id != job_id, job.queued_at, job.id))
    return jobs


def _not_packs(with_pack: bool) -> list:
    # Pack members are claimed only together, by a message of their own pack.
    return [_avatars.c.kind != JobKind.PACK] if with_pack else []


def mark_done(
    session: Session, job_id: int, *, image_key: str, model_version: str, flagged: bool = False
) -> Job:
    """running -> done, or -> flagged with review pending when the safety check flagged the image."""
    values: dict[str, Any] = {
        "status": JobStatus.FLAGGED if flagged else JobStatus.DONE,
        "image_key": image_key,
        "model_version": model_version,
        "finished_at": utcnow(),
        "error": None,
    }
    if flagged:
        values["review_state"] = ReviewState.PENDING
    return _transition(session, job_id, (JobStatus.RUNNING,), values, "finish")


def mark_failed(session: Session, job_id: int, error: str) -> Job:
    """queued or running -> failed, keeping a readable error."""
    values = {"status": JobStatus.FAILED, "error": error[:MAX_ERROR_CHARS], "finished_at": utcnow()}
    return _transition(session, job_id, (JobStatus.QUEUED, JobStatus.RUNNING), values, "fail")


def release_job(session: Session, job_id: int, *, error: Optional[str] = None) -> Job:
    """running -> queued, for a retry. It keeps its place in line (queued_at) and its attempt count;
    the caller sends a new message and calls mark_enqueued."""
    values: dict[str, Any] = {"status": JobStatus.QUEUED, "worker_id": None, "started_at": None}
    if error is not None:
        values["error"] = error[:MAX_ERROR_CHARS]
    return _transition(session, job_id, (JobStatus.RUNNING,), values, "release")


def mark_enqueued(session: Session, job_ids: Sequence[int]) -> None:
    """Record that a broker message was just sent for each job (starts the reconciler's lease)."""
    if job_ids:
        ids = _avatars.c.id.in_(list(job_ids))
        session.execute(update(_avatars).where(in_id_order(ids)).values(enqueued_at=utcnow()))
        _expire(session, job_ids)






def queue_position(session: Session, job_id: int) -> int:
    """How many queued jobs of the same backend are ahead of this one (0 if it is not queued)."""
    job = get_job(session, job_id)
    if job.status != JobStatus.QUEUED:
        return 0
    ahead = and_(
        Job.status == JobStatus.QUEUED,
        Job.backend == job.backend,
        or_(Job.queued_at < job.queued_at, and_(Job.queued_at == job.queued_at, Job.id < job.id)),
    )
    return session.scalar(select(func.count()).select_from(Job).where(ahead)) or 0


def jobs_finished_since(session: Session, since: datetime, *, limit: int = 500) -> list[Job]:
    """Jobs that reached done, failed or flagged at or after `since`, in finishing order.

    Finish times come from several processes' clocks and commits land out of order,
    so a poller should ask again from a little before its last answer and drop repeats.
    """
    query = (
        select(Job)
        .where(Job.status.in_(FINISHED_STATUSES), Job.finished_at >= since)
        .order_by(Job.finished_at, Job.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def count_user_jobs_since(
    session: Session, owner_id: int, since: datetime, *, guild_id: Optional[int] = None
) -> int:
    """Jobs a user asked for since a time (for quotas), optionally in one guild only."""
    query = select(func.count()).select_from(Job).where(Job.owner_id == owner_id, Job.queued_at >= since)
    if guild_id is not None:
        query = query.where(Job.guild_id == guild_id)
    return session.scalar(query) or 0


def count_active_jobs(session: Session, owner_id: int) -> int:
    """A user's jobs still queued or running."""
    query = (
        select(func.count())
        .select_from(Job)
        .where(Job.owner_id == owner_id, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
    )
    return session.scalar(query) or 0


# -- internals ----------------------------------------------------------------


def _transition(
    session: Session, job_id: int, from_statuses: Sequence[JobStatus], values: dict[str, Any], verb: str
) -> Job:
    result = session.execute(
        update(_avatars).where(_avatars.c.id == job_id, _avatars.c.status.in_(from_statuses)).values(**values)
    )
    if result.rowcount != 1:
        job = get_job(session, job_id)  # NotFound if it is gone
        session.refresh(job)
        expected = " or ".join(from_statuses)
        raise JobStateConflict(f"cannot {verb} avatar #{job_id}: it is {job.status}, not {expected}")
    return _load(session, [job_id])[0]


def _load(session: Session, job_ids: Sequence[int]) -> list[Job]:
    """Fetch rows changed by Core UPDATEs, refreshing any copies already in the session."""
    query = select(Job).where(Job.id.in_(list(job_ids))).execution_options(populate_existing=True)
    return list(session.scalars(query))


def _expire(session: Session, job_ids: Sequence[int]) -> None:
    wanted = set(job_ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Job) and obj.id in wanted:
            session.expire(obj)


def forget_source_images(session: Session, job_ids: Collection[int]) -> set[str]:
    """Clear the uploaded photo's key from these photo jobs (drawn or failed for good: nothing
    needs the photo any more) and return the keys; the caller deletes the files nobody else names."""
    if not job_ids:
        return set()
    keys: set[str] = set()
    for job in session.scalars(select(Job).where(Job.id.in_(list(job_ids))).order_by(Job.id)):
        params = dict(job.params or {})
        key = params.pop("source_image_key", None)
        if key:
            keys.add(str(key))
            job.params = params  # a new dict: JSON columns only see assignment
    session.flush()
    return keys
