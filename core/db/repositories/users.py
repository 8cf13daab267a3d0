"""Users: created on first use, banned and unbanned by moderators."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.db.models import User, utcnow
from core.db.repositories._common import insert_ignoring_conflict
from core.errors import UserForgotten


def ensure_user(session: Session, discord_id: int) -> User:
    """The user row for a Discord id, created if missing (safe when two processes race)."""
    user = session.get(User, discord_id)
    if user is not None:
        return user
    insert_ignoring_conflict(
        session, User, {"id": discord_id, "banned": False, "created_at": utcnow()}, ["id"]
    )
    return session.get_one(User, discord_id)


def lock_user(session: Session, discord_id: int) -> Optional[User]:
    """The user row, created if missing, locked until the transaction ends; None when a forget-me
    running at the same time deleted it first.

    Forget-me takes this lock before it lists what to delete, and whoever adds rows naming the user
    (hold_user) takes it before adding them, so the two queue up: those rows are either committed
    before the list is read (and deleted with the rest) or refused once the user is gone. A no-op
    UPDATE, like leases.lock_jobs: a row lock on PostgreSQL, the database's write lock on SQLite.
    """
    # Created first: on PostgreSQL the insert waits for another transaction inserting the same row.
    ensure_user(session, discord_id)
    users = User.__table__
    locked = session.execute(update(users).where(users.c.id == discord_id).values(banned=users.c.banned))
    if locked.rowcount != 1:
        return None
    return session.get(User, discord_id, populate_existing=True)


def hold_user(session: Session, discord_id: int) -> User:
    """lock_user for whoever adds rows naming the user (jobs, favourites), and every such writer must
    call it first: a user forgotten meanwhile is then a readable UserForgotten, not a foreign key
    error at commit (on PostgreSQL the key check itself does not wait for forget-me's lock)."""
    user = lock_user(session, discord_id)
    if user is None:
        raise UserForgotten(
            "your data was deleted (forget-me) while this was being done, so nothing was kept;"
            " ask again to start afresh"
        )
    return user


def set_banned(session: Session, discord_id: int, banned: bool, reason: Optional[str] = None) -> User:
    """Ban (with a reason) or unban a user; the user row is created if needed."""
    user = ensure_user(session, discord_id)
    user.banned = banned
    user.banned_reason = reason if banned else None
    session.flush()
    return user
