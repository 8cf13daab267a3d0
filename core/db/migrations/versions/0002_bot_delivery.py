"""Bot delivery: interaction replies (token, expiry, message) per request; review holds on avatars.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

- `interaction_replies`: one row per request the bot answers, so it can edit its reply
  (or send follow-ups) with the interaction token while that is valid, even after a restart.
- `avatars.held_at`: the bot held a finished result for moderators instead of showing it.
- `avatars.review_channel_id` / `review_message_id`: the moderators' copy of a held result.
- `ix_avatars_delivered_at`: the bot's sweep for finished results not yet shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_AVATAR_COLUMNS = ("held_at", "review_channel_id", "review_message_id")


def upgrade() -> None:
    op.add_column("avatars", sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("avatars", sa.Column("review_channel_id", sa.BigInteger(), nullable=True))
    op.add_column("avatars", sa.Column("review_message_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_avatars_delivered_at", "avatars", ["delivered_at"])

    op.create_table(
        "interaction_replies",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("ephemeral", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_interaction_replies")),
    )
    op.create_index(op.f("ix_interaction_replies_user_id"), "interaction_replies", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_interaction_replies_user_id"), table_name="interaction_replies")
    op.drop_table("interaction_replies")
    op.drop_index("ix_avatars_delivered_at", table_name="avatars")
    # Plain DROP COLUMN (SQLite 3.35+ has it): these columns carry no constraint.
    for column in reversed(_AVATAR_COLUMNS):
        op.execute(f"ALTER TABLE avatars DROP COLUMN {column}")
