"""The export feature's slash commands, under /avatar: export, frames (and animate)."""

from __future__ import annotations

from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.common.services import BotServices
from bot.export import handlers
from core.export.options import BACKGROUNDS, FORMATS, FRAMES, SHAPES, SIZES

AvatarId = app_commands.Range[int, 1]


def _choices(values: tuple[Any, ...]) -> list[Choice[Any]]:
    return [Choice(name=locale_str(str(v)), value=v) for v in values]


def export_commands(services: BotServices) -> list[app_commands.Command[Any, ..., None]]:
    """The /avatar subcommands that turn an avatar into files to use elsewhere."""

    @app_commands.command(
        name=locale_str("export"), description=locale_str("A profile-ready file: transparent, round, framed, sized")
    )
    @app_commands.describe(
        avatar=locale_str("Avatar id"),
        background=locale_str("Keep the background or make it transparent"),
        shape=locale_str("Square, circle or rounded square"),
        frame=locale_str("A frame around the avatar"),
        size=locale_str("Edge in pixels"),
        format=locale_str("File format"),
    )
    @app_commands.choices(
        background=_choices(BACKGROUNDS),
        shape=_choices(SHAPES),
        frame=_choices(FRAMES),
        size=_choices(SIZES),
        format=_choices(FORMATS),
    )
    async def export(
        interaction: discord.Interaction,
        avatar: AvatarId,
        background: Optional[str] = None,
        shape: Optional[str] = None,
        frame: Optional[str] = None,
        size: Optional[int] = None,
        format: Optional[str] = None,
    ) -> None:
        options = handlers.options_from(
            {"background": background, "shape": shape, "frame": frame, "size": size, "format": format}
        )
        await handlers.export(interaction, services, avatar, options)

    @app_commands.command(name=locale_str("frames"), description=locale_str("See every frame on one of your avatars"))
    @app_commands.describe(avatar=locale_str("Avatar id"))
    async def frames(interaction: discord.Interaction, avatar: AvatarId) -> None:
        await handlers.frames(interaction, services, avatar)

    return [export, frames]
