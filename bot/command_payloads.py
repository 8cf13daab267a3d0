"""The JSON array of commands the bot syncs, made offline (no token, no network).

It is what discord.py's CommandTree.sync sends to PUT /applications/{id}/commands: each
command's payload with the translator's localisations.
"""

from __future__ import annotations

from typing import Any

from discord import app_commands

from bot.app import build_bot
from core.settings import Settings


async def command_payloads(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """The global commands' payloads, translated as CommandTree.sync translates them."""
    commands = tree.get_commands()
    translator = tree.translator
    if translator is None:
        return [command.to_dict(tree) for command in commands]
    return [await command.get_translated_payload(tree, translator) for command in commands]


async def bot_command_payloads(settings: Settings) -> list[dict[str, Any]]:
    bot = build_bot(settings)
    await bot.install_translator()
    return await command_payloads(bot.tree)
