"""/avatar pack: the same character in every expression its style offers, as server emojis and stickers."""

from __future__ import annotations

from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.common.services import BotServices
from bot.packs import handlers

AvatarId = app_commands.Range[int, 1]
# Room for "_surprised" (the longest expression) within Discord's 32 characters.
EmojiName = app_commands.Range[str, 1, 22]


def avatar_commands(services: BotServices) -> list[app_commands.Command[Any, ..., None]]:
    @app_commands.command(
        name=locale_str("pack"),
        description=locale_str("The same character in every expression, as server emojis and stickers"),
    )
    @app_commands.describe(
        avatar=locale_str("Avatar id (one of yours)"),
        name=locale_str("Emoji name: letters, digits and _ (each emoji is NAME_expression)"),
    )
    async def pack(interaction: discord.Interaction, avatar: AvatarId, name: Optional[EmojiName] = None) -> None:
        await handlers.pack(interaction, services, avatar, name)

    return [pack]
