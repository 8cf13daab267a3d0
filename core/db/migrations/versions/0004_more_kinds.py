"""Three more kinds of job: edit, pack and animation.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- `edit`: the same character (seed and spec) with the attributes a person changed.
- `pack`: one expression of an expression pack (a child of the original avatar).
- `animation`: a short loop of the same character (blink, smile, bounce).

Only the CHECK constraint on `avatars.kind` changes; SQLite rebuilds the table for it (batch mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_KINDS = ("create", "reroll", "variation", "mix", "photo")
NEW_KINDS = OLD_KINDS + ("edit", "pack", "animation")


def _replace_kind_check(kinds: Sequence[str]) -> None:
    allowed = ", ".join(f"'{k}'" for k in kinds)
    with op.batch_alter_table("avatars", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_avatars_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_avatars_kind"), sa.text(f"kind IN ({allowed})"))


def upgrade() -> None:
    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    # Jobs of the new kinds cannot be kept under the old constraint.
    op.execute("DELETE FROM avatars WHERE kind IN ('edit', 'pack', 'animation')")
    _replace_kind_check(OLD_KINDS)
