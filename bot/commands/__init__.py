"""The application commands: /avatar, /avatar-mod and /avatar-admin."""

from __future__ import annotations

from discord import app_commands

from bot.commands.admin import AdminCommands
from bot.commands.avatar import AvatarCommands
from bot.commands.moderation import ModerationCommands
from bot.services import BotServices


def add_commands(tree: app_commands.CommandTree, services: BotServices) -> None:
    """Put every command group on `tree` (global commands; nothing is sent until a sync)."""
    tree.add_command(AvatarCommands(services))
    tree.add_command(ModerationCommands(services))
    tree.add_command(AdminCommands(services))
