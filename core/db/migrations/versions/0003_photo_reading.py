"""Photo jobs keep what was read from the photo (never the photo).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

- `avatars.photo_reading`: for a job made from a photo, the attributes read from it and their
  confidences (`{"read": {...}, "confidence": {...}}`), so the result can say what was read and the
  person can correct it without uploading again. No pixels, no face box: the photo itself is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("avatars", sa.Column("photo_reading", JSON, nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it): the column carries no constraint.
    op.execute("ALTER TABLE avatars DROP COLUMN photo_reading")
