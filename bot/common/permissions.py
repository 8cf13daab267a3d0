"""Permission checks made when a command or button is used (Discord's defaults can be changed by admins)."""

from __future__ import annotations

import discord
from discord import app_commands


def require_guild_permission(interaction: discord.Interaction, permission: str) -> None:
    """Raise unless the user has `permission` (a discord.Permissions flag name) in this server."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    if not getattr(interaction.permissions, permission):
        raise app_commands.MissingPermissions([permission])
