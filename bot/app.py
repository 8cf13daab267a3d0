"""Bot factory and runner: everything is built from settings passed in, nothing at import."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from db.errors import AvatarError
from db.settings import Settings

log = logging.getLogger(__name__)


class MissingToken(AvatarError):
    """The bot cannot log in without a token."""


class AvatarBot(commands.Bot):
    """The Discord client. It receives its settings in the constructor (see discord.py's
    examples/advanced_startup.py); cogs are loaded in setup_hook."""

    def __init__(self, settings: Settings) -> None:
        intents = discord.Intents.default()
        super().__init__(command_prefix=commands.when_mentioned, intents=intents)
        self.settings = settings

    async def setup_hook(self) -> None:
        log.info("bot set up; application commands arrive with the Discord bot issue")


def build_bot(settings: Settings) -> AvatarBot:
    """Build the bot without connecting, so tests and operators can drive it offline."""
    return AvatarBot(settings)


def run_bot(settings: Settings) -> None:
    """Log in and run until stopped."""
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        raise MissingToken(
            "no Discord bot token: set AVATARBOT_DISCORD_TOKEN "
            "(Discord developer portal -> your application -> Bot -> Reset Token)"
        )
    bot = build_bot(settings)
    bot.run(settings.discord_token.get_secret_value(), log_handler=None)
