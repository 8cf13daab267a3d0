"""Read-only questions the bot answers for people: their queue, render times, examples, pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Job, JobStatus, ModerationAction, ReviewState, Visibility
from core.db.repositories._common import Page, paginate

_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def user_active_jobs(session: Session, user_id: int, *, limit: int = 20) -> list[Job]:
    """A user's jobs still queued or running, oldest first."""
    query = (
        select(Job)
        .where(Job.owner_id == user_id, Job.status.in_(_ACTIVE))
        .order_by(Job.queued_at, Job.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def count_queued(session: Session, backend: str) -> int:
    """Jobs of `backend` waiting for a worker (a new one would join behind them)."""
    query = select(func.count()).select_from(Job).where(Job.status == JobStatus.QUEUED, Job.backend == backend)
    return session.scalar(query) or 0


def count_user_avatars(session: Session, user_id: int) -> int:
    """Every avatar row of a user, finished or not."""
    return session.scalar(select(func.count()).select_from(Job).where(Job.owner_id == user_id)) or 0


def recent_render_seconds(session: Session, backend: str, *, sample: int = 20) -> Optional[float]:
    """Mean time from claim to finish of the last `sample` done jobs of `backend` (None: no data yet)."""
    query = (
        select(Job.started_at, Job.finished_at)
        .where(
            Job.backend == backend,
            Job.status == JobStatus.DONE,
            Job.started_at.is_not(None),
            Job.finished_at.is_not(None),
        )
        .order_by(Job.finished_at.desc())
        .limit(sample)
    )
    spans = [finished - started for started, finished in session.execute(query)]
    if not spans:
        return None
    return max(sum(spans, timedelta()).total_seconds() / len(spans), 0.0)


def latest_user_avatar(session: Session, user_id: int) -> Optional[Job]:
    """A user's newest avatar that has a picture."""
    query = (
        select(Job)
        .where(Job.owner_id == user_id, Job.image_key.is_not(None))
        .order_by(Job.queued_at.desc(), Job.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def style_examples(session: Session, styles: tuple[str, ...]) -> dict[str, Job]:
    """For each style, the newest public avatar of it that anyone may see (done and not under review)."""
    examples: dict[str, Job] = {}
    style_of = Job.spec["style"].as_string()
    for style in styles:
        query = (
            select(Job)
            .where(
                style_of == style,
                Job.status == JobStatus.DONE,
                Job.visibility == Visibility.PUBLIC,
                Job.review_state.in_((ReviewState.NONE, ReviewState.APPROVED)),
                Job.image_key.is_not(None),
            )
            .order_by(Job.finished_at.desc(), Job.id.desc())
            .limit(1)
        )
        found = session.scalars(query).first()
        if found is not None:
            examples[style] = found
    return examples


def review_queue_page(
    session: Session, *, guild_id: Optional[int], page: int = 0, page_size: int = 10
) -> Page[Job]:
    """Avatars with a picture waiting for a moderator, oldest first, one page."""
    query = select(Job).where(Job.review_state == ReviewState.PENDING, Job.image_key.is_not(None))
    if guild_id is not None:
        query = query.where(Job.guild_id == guild_id)
    query = query.order_by(Job.finished_at, Job.id)
    return paginate(session, query, page=page, page_size=page_size)


def moderation_log_page(
    session: Session,
    *,
    guild_id: Optional[int],
    target_user_id: Optional[int] = None,
    page: int = 0,
    page_size: int = 10,
) -> Page[ModerationAction]:
    """The audit log, newest first, one page."""
    query = select(ModerationAction)
    if guild_id is not None:
        query = query.where(ModerationAction.guild_id == guild_id)
    if target_user_id is not None:
        query = query.where(ModerationAction.target_user_id == target_user_id)
    query = query.order_by(ModerationAction.id.desc())
    return paginate(session, query, page=page, page_size=page_size)
