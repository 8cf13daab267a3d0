"""What the export commands and the Export button do: defer inside Discord's 3 s (privately: the
file is for the person who asked), make the file in a thread, answer with it."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord

from bot import i18n
from bot.common.services import BotServices
from bot.export.service import exporter_of
from bot.replies.errors import Refusal
from bot.replies.interaction import answer, defer_thinking
from core.errors import InvalidExport
from core.export import ExportOptions, parse_export_options

# What the Export button under a result gives: a transparent 512 px PNG (Discord crops it round itself).
BUTTON_OPTIONS = ExportOptions(background="transparent", size=512)


def options_from(given: dict[str, Any]) -> ExportOptions:
    """The command's options, checked before anything is deferred (a refusal is ephemeral)."""
    try:
        return parse_export_options(given)
    except InvalidExport as exc:
        raise Refusal("export.bad_option", detail=str(exc)) from exc


async def export(
    interaction: discord.Interaction, services: BotServices, avatar_id: int, options: ExportOptions
) -> None:
    exporter = exporter_of(services)
    await defer_thinking(interaction, ephemeral=True)
    made = await asyncio.to_thread(exporter.export, interaction.user.id, avatar_id, options)
    content = i18n.text(interaction.locale, "export.done", id=avatar_id, what=made.description)
    await answer(interaction, content=content, files=[discord.File(io.BytesIO(made.data), filename=made.filename)])


async def export_from_button(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    """The Export button: the profile-ready default, and how to ask for more."""
    exporter = exporter_of(services)
    await defer_thinking(interaction, ephemeral=True)
    made = await asyncio.to_thread(exporter.export, interaction.user.id, avatar_id, BUTTON_OPTIONS)
    locale = interaction.locale
    content = "\n".join(
        [
            i18n.text(locale, "export.done", id=avatar_id, what=made.description),
            i18n.text(locale, "export.more", id=avatar_id),
        ]
    )
    await answer(interaction, content=content, files=[discord.File(io.BytesIO(made.data), filename=made.filename)])


async def frames(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    exporter = exporter_of(services)
    await defer_thinking(interaction, ephemeral=True)
    sheet = await asyncio.to_thread(exporter.frames_sheet, interaction.user.id, avatar_id)
    content = i18n.text(interaction.locale, "export.frames", id=avatar_id)
    await answer(interaction, content=content, files=[discord.File(io.BytesIO(sheet), filename="frames.png")])


# What the buttons under an avatar do for the export feature.
BUTTON_ACTIONS = {"export": export_from_button}
