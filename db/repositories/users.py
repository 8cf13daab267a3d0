"""Users: created on first use, banned and unbanned by moderators."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import User, utcnow
from db.repositories._common import insert_ignoring_conflict


def ensure_user(session: Session, discord_id: int) -> User:
    """The user row for a Discord id, created if missing (safe when two processes race)."""
    user = session.get(User, discord_id)
    if user is not None:
        return user
    insert_ignoring_conflict(
        session, User, {"id": discord_id, "banned": False, "created_at": utcnow()}, ["id"]
    )
    return session.get_one(User, discord_id)


def get_user(session: Session, discord_id: int) -> Optional[User]:
    return session.get(User, discord_id)


def is_banned(session: Session, discord_id: int) -> bool:
    return bool(session.scalar(select(User.banned).where(User.id == discord_id)))


def set_banned(session: Session, discord_id: int, banned: bool, reason: Optional[str] = None) -> User:
    """Ban (with a reason) or unban a user; the user row is created if needed."""
    user = ensure_user(session, discord_id)
    user.banned = banned
    user.banned_reason = reason if banned else None
    session.flush()
    return user
