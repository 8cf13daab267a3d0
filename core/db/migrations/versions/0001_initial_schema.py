"""Initial schema: users, guilds, avatars (jobs), workers, favourites, moderation actions.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Enumerations are VARCHAR(16) with named CHECK constraints (no native enum types),
so the same revision runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

KINDS = ("create", "reroll", "variation", "mix", "photo")
STATUSES = ("queued", "running", "done", "failed", "flagged")
REVIEW_STATES = ("none", "pending", "approved", "rejected")
VISIBILITIES = ("public", "private")
MODERATION_ACTIONS = ("approve", "reject", "ban", "unban", "delete", "report", "settings")


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _one_of(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("banned_reason", sa.Text(), nullable=True),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "guilds",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guilds")),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        _utc("started_at"),
        _utc("last_seen"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.create_index(op.f("ix_workers_last_seen"), "workers", ["last_seen"])

    op.create_table(
        "avatars",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("mix_parent_id", sa.Integer(), nullable=True),
        sa.Column("params", JSON, nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_state", sa.String(length=16), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("image_key", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _utc("queued_at"),
        _utc("started_at", nullable=True),
        _utc("finished_at", nullable=True),
        _utc("enqueued_at", nullable=True),
        _utc("delivered_at", nullable=True),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _one_of("avatars", "kind", KINDS),
        _one_of("avatars", "status", STATUSES),
        _one_of("avatars", "review_state", REVIEW_STATES),
        _one_of("avatars", "visibility", VISIBILITIES),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_avatars_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["avatars.id"], name=op.f("fk_avatars_parent_id_avatars"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["mix_parent_id"], ["avatars.id"], name=op.f("fk_avatars_mix_parent_id_avatars"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_avatars")),
    )
    op.create_index("ix_avatars_status_backend_queued_at", "avatars", ["status", "backend", "queued_at"])
    op.create_index("ix_avatars_owner_id_queued_at", "avatars", ["owner_id", "queued_at"])
    op.create_index("ix_avatars_finished_at", "avatars", ["finished_at"])
    op.create_index("ix_avatars_request_id", "avatars", ["request_id"])

    op.create_table(
        "favourites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("avatar_id", sa.Integer(), nullable=False),
        _utc("created_at"),
        sa.ForeignKeyConstraint(
            ["avatar_id"], ["avatars.id"], name=op.f("fk_favourites_avatar_id_avatars"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favourites_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favourites")),
        sa.UniqueConstraint("user_id", "avatar_id", name=op.f("uq_favourites_user_id_avatar_id")),
    )
    op.create_index(op.f("ix_favourites_avatar_id"), "favourites", ["avatar_id"])

    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("moderator_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target_user_id", sa.BigInteger(), nullable=True),
        sa.Column("avatar_id", sa.Integer(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _utc("created_at"),
        _one_of("moderation_actions", "action", MODERATION_ACTIONS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_actions")),
    )
    op.create_index(op.f("ix_moderation_actions_target_user_id"), "moderation_actions", ["target_user_id"])
    op.create_index(
        "ix_moderation_actions_guild_id_created_at", "moderation_actions", ["guild_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("moderation_actions")
    op.drop_table("favourites")
    op.drop_table("avatars")
    op.drop_table("workers")
    op.drop_table("guilds")
    op.drop_table("users")
