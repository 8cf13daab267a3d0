"""What the requests' commands and buttons do: defer inside Discord's 3 s, queue the jobs in a
thread (bot.requests.studio through bot.requests.submit), answer with the queue place. The
Re-roll and Vary buttons do exactly what the commands do."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import discord

from bot.common.services import BotServices
from bot.replies.interaction import defer_thinking
from bot.requests.create_options import parse_create_options
from bot.requests.look_editor import edit_pressed
from bot.requests.photo_order import REPAINTING_BACKENDS, read_upload
from bot.requests.reading_editor import edit_reading
from bot.requests.studio import CreateOrder, studio_of
from bot.requests.submit import queue_request, requester, submit_request
from core.spec import parse_spec
from photo import PhotoReader


async def create(interaction: discord.Interaction, services: BotServices, options: dict[str, Any]) -> None:
    request = parse_create_options(options)
    studio = studio_of(services)
    order = CreateOrder(
        owner_id=interaction.user.id,
        spec=request.spec,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        private=request.private,
    )
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.create(order, reply=ticket, request_id=rid),
        ephemeral=request.private,
        notes=_ignored_option_notes(interaction, services),
    )


def _ignored_option_notes(interaction: discord.Interaction, services: BotServices) -> tuple[str, ...]:
    """A stale client may still send `details` to a backend that does not read text: say it is ignored."""
    details = getattr(interaction.namespace, "details", None)
    if details and not services.backend_uses_text:
        return ("create.details_ignored",)
    return ()


async def reroll(interaction: discord.Interaction, services: BotServices, avatar_id: Optional[int]) -> None:
    """/avatar reroll, and the Re-roll button: the same spec, a new seed."""
    studio = studio_of(services)
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.reroll(who, avatar_id, reply=ticket, request_id=rid),
        ephemeral=_on_ephemeral_message(interaction),
    )


async def vary(
    interaction: discord.Interaction, services: BotServices, avatar_id: int, strength: Optional[float]
) -> None:
    studio = studio_of(services)
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.vary(who, avatar_id, strength, reply=ticket, request_id=rid),
        ephemeral=_on_ephemeral_message(interaction),
    )


async def mix(interaction: discord.Interaction, services: BotServices, first_id: int, second_id: int) -> None:
    studio = studio_of(services)
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.mix(who, first_id, second_id, reply=ticket, request_id=rid),
        ephemeral=False,
    )


async def animate(interaction: discord.Interaction, services: BotServices, avatar_id: int, motion: str) -> None:
    """/avatar animate: a looping animation of one of your avatars, queued like any other job."""
    studio = studio_of(services)
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.animate(who, avatar_id, motion, reply=ticket, request_id=rid),
        ephemeral=False,
    )


async def photo(
    interaction: discord.Interaction, services: BotServices, image: discord.Attachment, options: dict[str, Any]
) -> None:
    """/avatar photo: read the photo here (a thread), then queue an ordinary spec. No face or several
    faces is answered ephemerally and makes no job; the photo is kept only for a backend that
    repaints it (and its worker deletes it once drawn)."""
    chosen = {k: v for k, v in options.items() if v is not None}
    parse_spec(chosen)  # a bad choice is refused before anything is downloaded
    studio = studio_of(services)
    who = requester(interaction)
    reader = services.photo_reader or PhotoReader()
    keep_picture = services.settings.backend in REPAINTING_BACKENDS
    await defer_thinking(interaction, ephemeral=False)
    upload = await image.read()  # Discord's CDN links expire: read the bytes now
    try:
        order = await asyncio.to_thread(read_upload, upload, chosen, reader, keep_picture=keep_picture)
    finally:
        del upload  # the bytes go as soon as the attributes are read
    await queue_request(
        interaction,
        services,
        lambda ticket, rid: studio.photo(who, order, reply=ticket, request_id=rid),
        ephemeral=False,
    )


def _on_ephemeral_message(interaction: discord.Interaction) -> bool:
    """A button on an ephemeral message answers ephemerally too."""
    message = interaction.message
    return message is not None and message.flags.ephemeral


async def _vary_pressed(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    await vary(interaction, services, avatar_id, None)


# What the buttons under an avatar do for requests.
BUTTON_ACTIONS = {"reroll": reroll, "vary": _vary_pressed, "edit": edit_reading, "change": edit_pressed}
