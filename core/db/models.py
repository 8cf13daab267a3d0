"""SQLAlchemy models: the tables shared by the bot, the worker and the CLI.

The schema itself is created and changed only by the Alembic migrations in
`core/db/migrations`; a test checks that these models and the migrations agree.
Enumerations are stored as short strings with CHECK constraints, which work the
same on SQLite and PostgreSQL and need no `CREATE TYPE` in migrations.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.spec import AvatarSpec, parse_spec


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so values are stored
    as naive UTC and given their UTC zone back when read. Naive input is refused:
    it is always a bug (local time or a forgotten zone).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class JobKind(enum.StrEnum):
    CREATE = "create"
    REROLL = "reroll"
    VARIATION = "variation"
    MIX = "mix"
    PHOTO = "photo"
    EDIT = "edit"
    PACK = "pack"
    ANIMATION = "animation"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    FLAGGED = "flagged"


# A job in one of these will not change status again (unless a person acts on it).
FINISHED_STATUSES: frozenset[JobStatus] = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.FLAGGED})


class ReviewState(enum.StrEnum):
    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class ModerationActionKind(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    BAN = "ban"
    UNBAN = "unban"
    DELETE = "delete"
    REPORT = "report"
    SETTINGS = "settings"


def _string_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR holding the enum's values, guarded by a named CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


# Stable constraint names, so migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """A Discord user who has used the bot (or been banned from it)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Discord user id
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    banned_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Guild(Base):
    """A Discord server and its per-server settings (channels, review mode, quotas, styles)."""

    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Discord guild id
    # MutableDict so that `guild.settings["key"] = value` is seen by the session.
    settings: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSONType), default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """One job: the avatar a person asked for (spec, seed, kind), its way through the queue
    (queued -> running -> done | failed | flagged) and, once done, its picture and review.

    The code calls it a job; people see "avatar #id" (the same id). The table keeps the name it
    was created with, `avatars`, so existing databases need no migration.
    """

    __tablename__ = "avatars"
    __table_args__ = (
        # The worker's claim and the queue position: queued jobs of one backend, oldest first.
        Index("ix_avatars_status_backend_queued_at", "status", "backend", "queued_at"),
        # A user's history, newest first.
        Index("ix_avatars_owner_id_queued_at", "owner_id", "queued_at"),
        # The polling notifier: recently finished jobs.
        Index("ix_avatars_finished_at", "finished_at"),
        Index("ix_avatars_request_id", "request_id"),
        # The bot's delivery sweep: finished jobs nobody has been shown yet.
        Index("ix_avatars_delivered_at", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    guild_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    channel_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    # Groups the `count` images of one command.
    request_id: Mapped[str] = mapped_column(String(36))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)  # canonical AvatarSpec dict
    seed: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[JobKind] = mapped_column(_string_enum(JobKind, "kind"), default=JobKind.CREATE)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("avatars.id", ondelete="SET NULL"))
    # The second avatar of a mix.
    mix_parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("avatars.id", ondelete="SET NULL"))
    # strength, variation_seed, mix_ratio, source_image_key (photo), as the kind needs.
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # A photo job's reading: {"read": {attribute: value}, "confidence": {attribute: 0..1}}; never pixels.
    photo_reading: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    backend: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[Optional[str]] = mapped_column(String(128))
    status: Mapped[JobStatus] = mapped_column(_string_enum(JobStatus, "status"), default=JobStatus.QUEUED)
    review_state: Mapped[ReviewState] = mapped_column(
        _string_enum(ReviewState, "review_state"), default=ReviewState.NONE
    )
    visibility: Mapped[Visibility] = mapped_column(_string_enum(Visibility, "visibility"), default=Visibility.PUBLIC)
    image_key: Mapped[Optional[str]] = mapped_column(String(64))
    error: Mapped[Optional[str]] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Last time a broker message for this job was sent (the reconciler's lease).
    enqueued_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # When the bot put the finished result in front of moderators instead of showing it (review).
    held_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The moderators' copy in the review channel, so a decision can be marked on it.
    review_channel_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    review_message_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    worker_id: Mapped[Optional[str]] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def avatar_spec(self) -> AvatarSpec:
        """The stored spec, validated again (InvalidSpec if the vocabulary has since dropped a value)."""
        return parse_spec(self.spec)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def __repr__(self) -> str:
        return f"<Job id={self.id} status={self.status} backend={self.backend} owner={self.owner_id}>"


class Worker(Base):
    """A live worker process, kept fresh by heartbeats; the reconciler uses it to find dead ones."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # celery hostname + pid
    backend: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Favourite(Base):
    """An avatar a user saved."""

    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "avatar_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    avatar_id: Mapped[int] = mapped_column(ForeignKey("avatars.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModerationAction(Base):
    """The audit log: who did what to whom, why and when.

    Ids here are plain numbers, not foreign keys, so the log outlives deleted
    avatars and users who asked to be forgotten.
    """

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_guild_id_created_at", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    moderator_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[ModerationActionKind] = mapped_column(_string_enum(ModerationActionKind, "action"))
    target_user_id: Mapped[Optional[int]] = mapped_column(BigInteger, index=True)
    avatar_id: Mapped[Optional[int]] = mapped_column(Integer)
    guild_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InteractionReply(Base):
    """How the bot answers one request (the `count` jobs sharing a request id): the Discord
    interaction's token, valid 15 minutes, lets it edit its reply or send follow-ups, even after
    a restart. The token is a secret: it is never logged and is cleared once it has expired.
    """

    __tablename__ = "interaction_replies"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[int] = mapped_column(BigInteger)
    token: Mapped[Optional[str]] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The message to edit: None is the interaction's original response.
    message_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    ephemeral: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    guild_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    channel_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    locale: Mapped[str] = mapped_column(String(16))
    # The first line of the reply ("Making 2 avatars: ..."), kept for progress edits.
    summary: Mapped[str] = mapped_column(Text, default="")
    # When the reply stopped showing progress (a result or notice replaced it).
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:  # never the token
        return f"<InteractionReply request={self.request_id} user={self.user_id} expires={self.expires_at:%H:%M:%S}>"
