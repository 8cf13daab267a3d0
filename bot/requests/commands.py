"""The requests' slash commands, under /avatar: create, reroll, vary, mix, photo, edit, animate.

Each handler first checks its options (a mistake gets an ephemeral message at once), then
defers inside Discord's 3-second window and does the slow work in a thread (bot.requests.handlers).
"""

from __future__ import annotations

from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.common.services import BotServices
from bot.replies.errors import Refusal
from bot.requests import handlers
from bot.requests.create_command import build_create_command, build_edit_command, build_photo_command
from bot.requests.look_editor import edit as edit_look
from core.export.animation import MOTIONS
from core.uploads import MAX_UPLOAD_BYTES, MIB

MIN_STRENGTH = 0.05
MAX_STRENGTH = 1.0
# A first look at /avatar photo's attachment before deferring; core.uploads checks the bytes.
PHOTO_TYPES = ("image/png", "image/jpeg", "image/webp")

Strength = app_commands.Range[float, MIN_STRENGTH, MAX_STRENGTH]
AvatarId = app_commands.Range[int, 1]


def avatar_commands(services: BotServices) -> list[app_commands.Command[Any, ..., None]]:
    """The /avatar subcommands that make avatars, bound to this bot's services."""

    async def create(interaction: discord.Interaction, options: dict[str, Any]) -> None:
        await handlers.create(interaction, services, options)

    @app_commands.command(name=locale_str("reroll"), description=locale_str("Make an avatar again with a new seed"))
    @app_commands.describe(avatar=locale_str("Avatar id (default: your last avatar)"))
    async def reroll(interaction: discord.Interaction, avatar: Optional[AvatarId] = None) -> None:
        await handlers.reroll(interaction, services, avatar)

    @app_commands.command(name=locale_str("vary"), description=locale_str("Make a variation of an avatar"))
    @app_commands.describe(
        avatar=locale_str("Avatar id"), strength=locale_str("How far to move from the original (0.05 to 1)")
    )
    async def vary(interaction: discord.Interaction, avatar: AvatarId, strength: Optional[Strength] = None) -> None:
        _check_strength(strength)
        await handlers.vary(interaction, services, avatar, strength)

    @app_commands.command(name=locale_str("mix"), description=locale_str("Mix two avatars"))
    @app_commands.describe(a=locale_str("First avatar id"), b=locale_str("Second avatar id"))
    async def mix(interaction: discord.Interaction, a: AvatarId, b: AvatarId) -> None:
        if a == b:
            raise Refusal("error.mix_same")
        await handlers.mix(interaction, services, a, b)

    @app_commands.command(
        name=locale_str("animate"), description=locale_str("A short looping animation of your avatar")
    )
    @app_commands.describe(avatar=locale_str("Avatar id"), motion=locale_str("How it moves (default: blink)"))
    @app_commands.choices(motion=[Choice(name=locale_str(m), value=m) for m in MOTIONS])
    async def animate(interaction: discord.Interaction, avatar: AvatarId, motion: Optional[str] = None) -> None:
        await handlers.animate(interaction, services, avatar, motion or MOTIONS[0])

    async def photo(interaction: discord.Interaction, image: discord.Attachment, options: dict[str, Any]) -> None:
        content_type = (image.content_type or "").split(";")[0].strip().lower()
        if content_type not in PHOTO_TYPES or image.size > MAX_UPLOAD_BYTES:
            raise Refusal("error.photo", max_mib=MAX_UPLOAD_BYTES // MIB)
        await handlers.photo(interaction, services, image, options)

    async def edit(interaction: discord.Interaction, avatar: int, options: dict[str, Any]) -> None:
        await edit_look(interaction, services, avatar, options)

    return [
        build_create_command(create, with_details=services.backend_uses_text),
        reroll,
        vary,
        mix,
        build_photo_command(photo),
        build_edit_command(edit),
        animate,
    ]


def _check_strength(strength: float | None) -> None:
    # Discord enforces the range in its client, but a payload can carry anything.
    if strength is not None and not MIN_STRENGTH <= strength <= MAX_STRENGTH:
        raise Refusal("error.strength", low=MIN_STRENGTH, high=MAX_STRENGTH)
