"""Turning an interaction into a queued request: defer, commit the jobs with the reply's token,
then answer with the queue place and estimated wait.

Used by /avatar create, reroll, vary, mix, photo and by the Re-roll and Vary buttons.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import discord

from bot import i18n
from bot.common.services import BotServices
from bot.delivery.progress import status_text
from bot.replies.interaction import defer_thinking, placeholder_answered
from bot.requests.studio import Queued, ReplyTicket, Requester, studio_of

# Discord keeps an interaction token valid for 15 minutes from the interaction's creation.
TOKEN_LIFETIME = timedelta(minutes=15)

Work = Callable[[ReplyTicket, str], Queued]


def requester(interaction: discord.Interaction, *, private: bool = False) -> Requester:
    return Requester(
        owner_id=interaction.user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        private=private,
    )


def ticket_for(interaction: discord.Interaction, *, ephemeral: bool) -> ReplyTicket:
    return ReplyTicket(
        application_id=int(interaction.application_id),
        token=interaction.token,
        expires_at=interaction.created_at + TOKEN_LIFETIME,
        locale=str(interaction.locale),
        ephemeral=ephemeral,
    )


def first_answer(queued: Queued, locale: Any, notes: tuple[str, ...] = ()) -> str:
    """The summary, the queue place (or, with the broker down, that the request is saved), and any
    notes (i18n keys) about the options."""
    if queued.sent:
        status = status_text(locale, ahead=queued.ahead, workers=queued.workers, eta_s=queued.eta_s)
    else:
        status = i18n.text(locale, "create.broker_down")
    return "\n".join([queued.summary, status, *(i18n.text(locale, key) for key in notes)])


async def submit_request(
    interaction: discord.Interaction, services: BotServices, work: Work, *, ephemeral: bool,
    notes: tuple[str, ...] = (),
) -> Queued:
    """Defer (inside Discord's 3 s), then `queue_request`."""
    await defer_thinking(interaction, ephemeral=ephemeral)
    return await queue_request(interaction, services, work, ephemeral=ephemeral, notes=notes)


async def queue_request(
    interaction: discord.Interaction, services: BotServices, work: Work, *, ephemeral: bool,
    notes: tuple[str, ...] = (),
) -> Queued:
    """For a deferred interaction: run `work(ticket, request_id)` in a thread (it commits the jobs
    and the reply row, then enqueues), and answer with the queue place.

    The request's reply lock is held throughout, so delivery (which may start the moment the jobs
    are committed) never edits the reply before this first answer. A private result deferred
    publicly (the server's default, or a private source) moves to an ephemeral follow-up.
    """
    studio = studio_of(services)
    request_id = str(uuid.uuid4())
    ticket = ticket_for(interaction, ephemeral=ephemeral)
    async with services.reply_guard.hold(request_id):
        queued = await asyncio.to_thread(work, ticket, request_id)
        text = first_answer(queued, interaction.locale, notes)
        if queued.private and not ephemeral:
            await interaction.delete_original_response()
            placeholder_answered(interaction)
            message = await interaction.followup.send(text, ephemeral=True, wait=True)
            # Recorded only now, not with the jobs: the follow-up's id exists once it is sent, and a
            # row saying "ephemeral" while @original is still public would let a private result be
            # edited into the channel. A crash before this line leaves the row on the deleted
            # @original, which may not show a private result (ReplySnapshot.may_show): it goes by DM.
            await asyncio.to_thread(studio.move_reply, request_id, message_id=message.id)
        else:
            await interaction.edit_original_response(content=text)
            placeholder_answered(interaction)
        courier = getattr(interaction.client, "courier", None)
        if courier is not None:
            courier.note_progress(request_id, text)
    return queued
