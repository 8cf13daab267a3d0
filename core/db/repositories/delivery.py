"""The bot's delivery bookkeeping: how to answer each request, and who has been shown what.

Every "show it once" step is a conditional UPDATE that reports whether this caller won it,
so two handlers (an event and a sweep, or two bot processes) never both send the same thing:

- `claim_delivery`: the finished result (or failure) is about to be sent to its owner;
- `claim_hold`: the result is about to be held for moderators instead (review);
- `claim_reply_answer`: the interaction's reply is about to be replaced by a result or notice.

The bot claims BEFORE sending (at most once): a crash between claim and send loses that one
message, never doubles it, and the avatar is still in the owner's history.

With several bot processes (core/shards.py) the sweeps and the progress lines take a `ShardPlan`:
a process looks first at the guilds on its own shards, and at the others' jobs only once they are
`takeover_before` old (their process may be down). The claims above stay what makes it exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ColumnElement, Integer, delete, false, func, literal, or_, select, true, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.db.models import FINISHED_STATUSES, InteractionReply, Job, ReviewState, utcnow
from core.shards import ShardPlan

_avatars = Job.__table__
_replies = InteractionReply.__table__


def save_reply(
    session: Session,
    *,
    request_id: str,
    application_id: int,
    token: str,
    expires_at: datetime,
    user_id: int,
    locale: str,
    ephemeral: bool,
    guild_id: Optional[int] = None,
    channel_id: Optional[int] = None,
    summary: str = "",
    message_id: Optional[int] = None,
) -> InteractionReply:
    """Keep how to answer a request (flushes; commit it with the request's jobs)."""
    reply = InteractionReply(
        request_id=request_id,
        application_id=application_id,
        token=token,
        expires_at=expires_at,
        message_id=message_id,
        ephemeral=ephemeral,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        locale=locale,
        summary=summary,
        created_at=utcnow(),
    )
    session.add(reply)
    session.flush()
    return reply


def get_reply(session: Session, request_id: str) -> Optional[InteractionReply]:
    return session.get(InteractionReply, request_id)


def update_reply(
    session: Session,
    request_id: str,
    *,
    message_id: Optional[int] = None,
    ephemeral: Optional[bool] = None,
    summary: Optional[str] = None,
) -> None:
    """Point the reply at another message (e.g. a private follow-up) or change its first line."""
    values: dict[str, object] = {}
    if message_id is not None:
        values["message_id"] = message_id
    if ephemeral is not None:
        values["ephemeral"] = ephemeral
    if summary is not None:
        values["summary"] = summary
    if values:
        session.execute(update(_replies).where(_replies.c.request_id == request_id).values(**values))
        _expire(session, InteractionReply, [request_id])


def claim_reply_answer(session: Session, request_id: str) -> bool:
    """True for the one caller that may replace the reply with a result or notice (progress stops)."""
    result = session.execute(
        update(_replies)
        .where(_replies.c.request_id == request_id, _replies.c.answered_at.is_(None))
        .values(answered_at=utcnow())
    )
    _expire(session, InteractionReply, [request_id])
    return result.rowcount == 1


def on_shards(guild_id: InstrumentedAttribute[Optional[int]], plan: Optional[ShardPlan]) -> ColumnElement[bool]:
    """SQL for "this guild's events come to a process running `plan`" (no guild: shard 0), as
    core.shards.shard_of computes it: (guild_id >> 22) % count."""
    if plan is None or plan.ids is None or plan.count is None:
        return true()
    if not plan.ids:
        return false()
    # PostgreSQL shifts a bigint by an integer only: say the 22 is one.
    shard = func.coalesce(guild_id, 0).op(">>", return_type=BigInteger)(literal(22, type_=Integer)) % plan.count
    return shard.in_(plan.ids)


def open_replies(
    session: Session, *, now: datetime, limit: int = 50, shards: Optional[ShardPlan] = None
) -> list[InteractionReply]:
    """Replies still showing progress whose token is valid at `now`, newest first (only those of
    guilds on `shards`, when given)."""
    query = (
        select(InteractionReply)
        .where(
            InteractionReply.answered_at.is_(None),
            InteractionReply.token.is_not(None),
            InteractionReply.expires_at > now,
            on_shards(InteractionReply.guild_id, shards),
        )
        .order_by(InteractionReply.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def clear_expired_tokens(session: Session, *, now: datetime) -> int:
    """Forget tokens that can no longer be used (they are secrets; keep them no longer than needed)."""
    result = session.execute(
        update(_replies).where(_replies.c.token.is_not(None), _replies.c.expires_at <= now).values(token=None)
    )
    return result.rowcount


def forget_user_replies(session: Session, user_id: int) -> int:
    """Delete every reply row of a user (part of forgetting them)."""
    return session.execute(delete(_replies).where(_replies.c.user_id == user_id)).rowcount


def claim_delivery(session: Session, job_id: int) -> bool:
    """True for the one caller that sends this finished job to its owner."""
    result = session.execute(
        update(_avatars)
        .where(
            _avatars.c.id == job_id,
            _avatars.c.delivered_at.is_(None),
            _avatars.c.status.in_(FINISHED_STATUSES),
        )
        .values(delivered_at=utcnow())
    )
    _expire(session, Job, [job_id])
    return result.rowcount == 1


def claim_hold(session: Session, job_id: int) -> bool:
    """True for the one caller that holds this finished, undelivered job for review (it becomes pending)."""
    result = session.execute(
        update(_avatars)
        .where(
            _avatars.c.id == job_id,
            _avatars.c.held_at.is_(None),
            _avatars.c.delivered_at.is_(None),
            _avatars.c.status.in_(FINISHED_STATUSES),
            _avatars.c.review_state.in_((ReviewState.NONE, ReviewState.PENDING)),
        )
        .values(held_at=utcnow(), review_state=ReviewState.PENDING)
    )
    _expire(session, Job, [job_id])
    return result.rowcount == 1


def undelivered_job_ids(
    session: Session,
    *,
    limit: int = 200,
    shards: Optional[ShardPlan] = None,
    takeover_before: Optional[datetime] = None,
) -> list[int]:
    """Finished jobs of requests the bot answers that nobody has handled yet, oldest first:
    never shown and never held, or approved by a moderator after being held. Rejected ones
    are left alone. With `shards`, only jobs of guilds on those shards, and any other job that
    finished before `takeover_before` (None: no other)."""
    mine = on_shards(Job.guild_id, shards)
    if takeover_before is not None:
        mine = or_(mine, Job.finished_at <= takeover_before)
    query = (
        select(Job.id)
        .join(InteractionReply, InteractionReply.request_id == Job.request_id)
        .where(
            Job.delivered_at.is_(None),
            Job.status.in_(FINISHED_STATUSES),
            Job.review_state != ReviewState.REJECTED,
            or_(Job.held_at.is_(None), Job.review_state == ReviewState.APPROVED),
            mine,
        )
        .order_by(Job.finished_at, Job.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def set_review_post(session: Session, avatar_id: int, *, channel_id: int, message_id: int) -> None:
    """Remember where the moderators' copy of an avatar was posted."""
    session.execute(
        update(_avatars)
        .where(_avatars.c.id == avatar_id)
        .values(review_channel_id=channel_id, review_message_id=message_id)
    )
    _expire(session, Job, [avatar_id])


def _expire(session: Session, model: type, keys: list[object]) -> None:
    # Core UPDATEs bypass the identity map: make loaded copies read the row again.
    for key in keys:
        obj = session.identity_map.get(session.identity_key(model, key))  # type: ignore[arg-type]
        if obj is not None:
            session.expire(obj)
