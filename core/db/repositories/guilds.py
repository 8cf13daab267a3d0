"""Per-server settings (allowed channels, review mode, quotas, allowed styles), kept as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from core.db.models import Guild, utcnow
from core.db.repositories._common import insert_ignoring_conflict


def ensure_guild(session: Session, guild_id: int) -> Guild:
    guild = session.get(Guild, guild_id)
    if guild is not None:
        return guild
    insert_ignoring_conflict(session, Guild, {"id": guild_id, "settings": {}, "created_at": utcnow()}, ["id"])
    return session.get_one(Guild, guild_id)


def get_guild_settings(session: Session, guild_id: int) -> dict[str, Any]:
    """A copy of a server's settings ({} for a server never configured)."""
    guild = session.get(Guild, guild_id)
    return dict(guild.settings) if guild is not None else {}


def update_guild_settings(session: Session, guild_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `changes` into a server's settings (a None value removes that key); returns the result."""
    guild = ensure_guild(session, guild_id)
    for key, value in changes.items():
        if value is None:
            guild.settings.pop(key, None)
        else:
            guild.settings[key] = value
    session.flush()
    return dict(guild.settings)
