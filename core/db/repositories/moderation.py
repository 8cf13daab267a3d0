"""Moderation: the review queue and the audit log."""

from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from core.db.models import Job, ModerationAction, ModerationActionKind, ReviewState, utcnow
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


def set_review_state(session: Session, avatar_id: int, review_state: str) -> Job:
    """Put an avatar in review (pending) or record the decision (approved, rejected)."""
    avatar = get_job(session, avatar_id)
    avatar.review_state = ReviewState(review_state)
    session.flush()
    return avatar
