"""`/avatar-mod`: the moderators' review queue, decisions, bans and audit log.

Discord hides the group from members without Manage Messages by default, but server admins can
change that default, so the permission is checked again on every use.
"""

from __future__ import annotations

from typing import Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.common.permissions import require_guild_permission
from bot.common.services import BotServices
from bot.moderation import handlers

AvatarId = app_commands.Range[int, 1]
Reason = app_commands.Range[str, 1, 300]
Page = app_commands.Range[int, 1]


class ModerationCommands(app_commands.Group):
    def __init__(self, services: BotServices) -> None:
        super().__init__(
            name=locale_str("avatar-mod"),
            description=locale_str("Review avatars and ban users (moderators)"),
            guild_only=True,
            default_permissions=discord.Permissions(manage_messages=True),
        )
        self.services = services

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        require_guild_permission(interaction, "manage_messages")
        return True

    @app_commands.command(name=locale_str("pending"), description=locale_str("Avatars waiting for review"))
    @app_commands.describe(page=locale_str("Page number"))
    async def pending(self, interaction: discord.Interaction, page: Optional[Page] = None) -> None:
        await handlers.pending(interaction, self.services, (page or 1) - 1)

    @app_commands.command(name=locale_str("approve"), description=locale_str("Approve an avatar"))
    @app_commands.describe(avatar=locale_str("Avatar id"), reason=locale_str("Why (kept in the moderation log)"))
    async def approve(
        self, interaction: discord.Interaction, avatar: AvatarId, reason: Optional[Reason] = None
    ) -> None:
        await handlers.decide(interaction, self.services, avatar, approve=True, reason=reason)

    @app_commands.command(name=locale_str("reject"), description=locale_str("Reject an avatar"))
    @app_commands.describe(avatar=locale_str("Avatar id"), reason=locale_str("Why (kept in the moderation log)"))
    async def reject(self, interaction: discord.Interaction, avatar: AvatarId, reason: Optional[Reason] = None) -> None:
        await handlers.decide(interaction, self.services, avatar, approve=False, reason=reason)

    @app_commands.command(name=locale_str("ban"), description=locale_str("Stop a user from using the bot"))
    @app_commands.describe(user=locale_str("The user"), reason=locale_str("Why (kept in the moderation log)"))
    async def ban(self, interaction: discord.Interaction, user: discord.User, reason: Optional[Reason] = None) -> None:
        await handlers.ban(interaction, self.services, user, reason, banned=True)

    @app_commands.command(name=locale_str("unban"), description=locale_str("Let a banned user use the bot again"))
    @app_commands.describe(user=locale_str("The user"), reason=locale_str("Why (kept in the moderation log)"))
    async def unban(
        self, interaction: discord.Interaction, user: discord.User, reason: Optional[Reason] = None
    ) -> None:
        await handlers.ban(interaction, self.services, user, reason, banned=False)

    @app_commands.command(name=locale_str("log"), description=locale_str("The moderation log"))
    @app_commands.describe(user=locale_str("Only show actions about this user"), page=locale_str("Page number"))
    async def log(
        self, interaction: discord.Interaction, user: Optional[discord.User] = None, page: Optional[Page] = None
    ) -> None:
        await handlers.moderation_log(interaction, self.services, user, (page or 1) - 1)
