"""Moderation: the review queue and the audit log."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Avatar, ModerationAction, ModerationActionKind, ReviewState, utcnow
from core.db.repositories.jobs import get_job


def record_moderation_action(
    session: Session,
    *,
    moderator_id: int,
    action: str,
    target_user_id: Optional[int] = None,
    avatar_id: Optional[int] = None,
    guild_id: Optional[int] = None,
    reason: Optional[str] = None,
) -> ModerationAction:
    """Append an entry to the audit log: who did what, to whom, where and why."""
    entry = ModerationAction(
        moderator_id=moderator_id,
        action=ModerationActionKind(action),
        target_user_id=target_user_id,
        avatar_id=avatar_id,
        guild_id=guild_id,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def list_moderation_actions(
    session: Session,
    *,
    guild_id: Optional[int] = None,
    target_user_id: Optional[int] = None,
    avatar_id: Optional[int] = None,
    before_id: Optional[int] = None,
    limit: int = 50,
) -> list[ModerationAction]:
    """Audit log entries, newest first; `before_id` pages further back."""
    query = select(ModerationAction).order_by(ModerationAction.id.desc()).limit(limit)
    if guild_id is not None:
        query = query.where(ModerationAction.guild_id == guild_id)
    if target_user_id is not None:
        query = query.where(ModerationAction.target_user_id == target_user_id)
    if avatar_id is not None:
        query = query.where(ModerationAction.avatar_id == avatar_id)
    if before_id is not None:
        query = query.where(ModerationAction.id < before_id)
    return list(session.scalars(query))


def set_review_state(session: Session, avatar_id: int, review_state: str) -> Avatar:
    """Put an avatar in review (pending) or record the decision (approved, rejected)."""
    avatar = get_job(session, avatar_id)
    avatar.review_state = ReviewState(review_state)
    session.flush()
    return avatar


def list_review_queue(session: Session, *, guild_id: Optional[int] = None, limit: int = 25) -> list[Avatar]:
    """Avatars waiting for a moderator, oldest first."""
    query = (
        select(Avatar)
        .where(Avatar.review_state == ReviewState.PENDING, Avatar.image_key.is_not(None))
        .order_by(Avatar.finished_at, Avatar.id)
        .limit(limit)
    )
    if guild_id is not None:
        query = query.where(Avatar.guild_id == guild_id)
    return list(session.scalars(query))

