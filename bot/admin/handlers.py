"""What /avatar-admin settings does: show the server's settings, or save a change first (logged)."""

from __future__ import annotations

import asyncio
from typing import Optional

import discord

from bot import i18n
from bot.admin.service import settings_desk_of
from bot.admin.settings_change import SettingsChange
from bot.common.guild_settings import GuildSettings
from bot.common.services import BotServices
from bot.replies.errors import Refusal
from bot.replies.interaction import answer, defer_thinking

Locale = discord.Locale | str | None


async def server_settings(interaction: discord.Interaction, services: BotServices, change: SettingsChange) -> None:
    """Show the server's settings, or save a change to them first (and log it)."""
    desk = settings_desk_of(services)
    await defer_thinking(interaction, ephemeral=True)
    guild_id = interaction.guild_id
    if guild_id is None:  # the group is guild-only; a payload can still claim otherwise
        raise Refusal("error.guild_only")
    if change.is_empty():
        current = await asyncio.to_thread(desk.settings_of, guild_id)
        head = i18n.text(interaction.locale, "admin.current")
    else:
        current = await asyncio.to_thread(
            desk.save_settings, guild_id=guild_id, admin_id=interaction.user.id, change=change,
            locale=str(interaction.locale),
        )
        head = i18n.text(interaction.locale, "admin.saved")
    await answer(interaction, content=f"{head}\n{settings_summary(current, interaction.locale)}")


def settings_summary(rules: GuildSettings, locale: Locale) -> str:
    def channels(ids: tuple[int, ...], empty_key: str) -> str:
        return ", ".join(f"<#{c}>" for c in ids) if ids else i18n.text(locale, empty_key)

    def names(values: Optional[tuple[str, ...]]) -> str:
        if values is None:
            return i18n.text(locale, "settings.all")
        return ", ".join(i18n.choice_label(locale, v) for v in values)

    review_names = {"off": "off", "flagged": "flagged only", "all": "all"}
    return i18n.text(
        locale,
        "admin.summary",
        review=i18n.choice_label(locale, review_names[rules.review_mode]),
        review_channel=f"<#{rules.review_channel}>" if rules.review_channel else i18n.text(locale, "settings.none"),
        concurrent=rules.concurrent_limit,
        daily=rules.daily_limit,
        visibility=i18n.choice_label(locale, rules.default_visibility),
        allowed=channels(rules.allowed_channels, "settings.all"),
        blocked=channels(rules.blocked_channels, "settings.none"),
        styles=names(rules.allowed_styles),
        backends=names(rules.allowed_backends),
    )
