"""`/avatar-admin settings`: per-server settings, for members with Manage Server."""

from __future__ import annotations

from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.admin import handlers
from bot.admin.settings_change import parse_settings_change
from bot.common.guild_settings import MAX_CONCURRENT, MAX_DAILY
from bot.common.permissions import require_guild_permission
from bot.common.services import BotServices

_REVIEW_CHOICES = [
    Choice(name=locale_str("off"), value="off"),
    Choice(name=locale_str("flagged only"), value="flagged"),
    Choice(name=locale_str("all"), value="all"),
]
_VISIBILITY_CHOICES = [
    Choice(name=locale_str("public"), value="public"),
    Choice(name=locale_str("private"), value="private"),
]


class _PostingChannel(app_commands.Transformer):
    """A channel option limited to the channels where the bot posts results (text, announcements)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Any:
        return value  # the AppCommandChannel discord.py built from the payload's resolved data


PostingChannel = app_commands.Transform[app_commands.AppCommandChannel, _PostingChannel]


class AdminCommands(app_commands.Group):
    def __init__(self, services: BotServices) -> None:
        super().__init__(
            name=locale_str("avatar-admin"),
            description=locale_str("Avatar bot settings for this server (admins)"),
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        self.services = services

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        require_guild_permission(interaction, "manage_guild")
        return True

    @app_commands.command(name=locale_str("settings"), description=locale_str("Show or change this server's settings"))
    @app_commands.describe(
        review_mode=locale_str("Which results wait for a moderator"),
        concurrent_limit=locale_str("Jobs one user may have waiting or running at once"),
        daily_limit=locale_str("Avatars one user may make per day"),
        visibility=locale_str("Whether results are public or private by default"),
        allow_channel=locale_str("Let the bot work in this channel"),
        block_channel=locale_str("Stop the bot working in this channel"),
        allowed_styles=locale_str("Allowed styles, comma-separated, or 'all'"),
        allowed_backends=locale_str("Allowed generators, comma-separated, or 'all'"),
        review_channel=locale_str("Where results waiting for review are posted"),
    )
    @app_commands.choices(review_mode=_REVIEW_CHOICES, visibility=_VISIBILITY_CHOICES)
    async def settings(
        self,
        interaction: discord.Interaction,
        review_mode: Optional[str] = None,
        concurrent_limit: Optional[app_commands.Range[int, 1, MAX_CONCURRENT]] = None,
        daily_limit: Optional[app_commands.Range[int, 0, MAX_DAILY]] = None,
        visibility: Optional[str] = None,
        allow_channel: Optional[PostingChannel] = None,
        block_channel: Optional[PostingChannel] = None,
        allowed_styles: Optional[app_commands.Range[str, 1, 200]] = None,
        allowed_backends: Optional[app_commands.Range[str, 1, 100]] = None,
        review_channel: Optional[PostingChannel] = None,
    ) -> None:
        # Checked before deferring, so a mistake is answered at once and only to the admin.
        change = parse_settings_change(
            {
                "review_mode": review_mode,
                "concurrent_limit": concurrent_limit,
                "daily_limit": daily_limit,
                "visibility": visibility,
                "allow_channel": allow_channel.id if allow_channel else None,
                "block_channel": block_channel.id if block_channel else None,
                "allowed_styles": allowed_styles,
                "allowed_backends": allowed_backends,
                "review_channel": review_channel.id if review_channel else None,
            }
        )
        await handlers.server_settings(interaction, self.services, change)
