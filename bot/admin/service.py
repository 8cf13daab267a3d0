"""The admins' database work: a server's settings, read and changed (each change in the audit log).
Synchronous; handlers run it in a thread."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.admin.settings_change import SettingsChange, apply_change
from bot.common.guild_settings import GuildSettings, guild_rules
from bot.common.services import BotServices
from bot.replies.errors import not_configured
from core.db.repositories import record_moderation_action, update_guild_settings


class SettingsDesk:
    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self.session_factory = session_factory

    def settings_of(self, guild_id: int) -> GuildSettings:
        with self.session_factory() as session:
            return guild_rules(session, guild_id)

    def save_settings(self, *, guild_id: int, admin_id: int, change: SettingsChange, locale: str) -> GuildSettings:
        """Apply a change (the admin's language becomes the moderators' channel language) and log it."""
        with self.session_factory() as session:
            current = guild_rules(session, guild_id)
            updated = apply_change(current, change).model_copy(update={"moderator_locale": locale})
            stored = updated.model_dump(mode="json")
            # None values remove keys (defaults), so the stored JSON holds only what was set.
            update_guild_settings(session, guild_id, stored)
            changed = change.model_dump(exclude_none=True, mode="json")
            record_moderation_action(
                session, moderator_id=admin_id, action="settings", guild_id=guild_id, reason=_describe(changed)
            )
            session.commit()
            return updated


def _describe(changed: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(changed.items()))


def settings_desk_of(services: BotServices) -> SettingsDesk:
    if services.session_factory is None:
        raise not_configured()
    return SettingsDesk(services.session_factory)
