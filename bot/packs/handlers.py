"""What /avatar pack and its buttons do.

The command queues one pack job per expression (bot.requests' studio: the server's rules and quotas,
one request), answers with what is being drawn, waits for the worker (which draws the whole pack in
one batched call) and then replaces its answer with one sheet and a button per expression. The pack
is stored like any avatar and appears in history, so a pack still drawing when the wait ends (or when
the bot restarts) is found there.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Optional

import discord

from bot import i18n
from bot.common.services import BotServices
from bot.packs.members import Member, PackMembers
from bot.packs.uploads import Upload, add_emojis, add_sticker
from bot.packs.views import sheet_view, stickers_view
from bot.replies.errors import Refusal, not_configured
from bot.replies.interaction import defer_thinking, placeholder_answered
from bot.requests.studio import studio_of
from bot.requests.submit import requester
from bot.ui.sheets import sheet_png
from core.looks import EXPRESSION_EMOJI, clean_name_base, sticker_name

log = logging.getLogger(__name__)

# How long the command waits for its pack (the interaction token lives 15 minutes), and how often it looks.
WAIT_S = 13 * 60.0
POLL_S = 0.5


def members_of(services: BotServices) -> PackMembers:
    if services.session_factory is None or services.image_store is None:
        raise not_configured()
    return PackMembers(services.session_factory, services.image_store)


async def pack(interaction: discord.Interaction, services: BotServices, avatar_id: int, name: Optional[str]) -> None:
    """/avatar pack: queue, wait, then one sheet with a button per expression."""
    studio = studio_of(services)
    members = members_of(services)
    who = requester(interaction)
    locale = interaction.locale
    await defer_thinking(interaction, ephemeral=False)
    ordered = await asyncio.to_thread(studio.pack, who, avatar_id, name)
    queued = ordered.queued
    text = f"{queued.summary}\n" + (i18n.text(locale, "create.broker_down") if not queued.sent else "")
    message: Optional[discord.WebhookMessage] = None
    if queued.private:
        # A private avatar's pack is shown only to its owner.
        await interaction.delete_original_response()
        placeholder_answered(interaction)
        message = await interaction.followup.send(text.strip(), ephemeral=True, wait=True)
    else:
        await interaction.edit_original_response(content=text.strip())
        placeholder_answered(interaction)
    done = await _wait(members, list(queued.job_ids))
    if not done:
        await _answer(interaction, message, content=f"{text}{i18n.text(locale, 'pack.still_drawing')}".strip())
        return
    drawn = await asyncio.to_thread(members.of, queued.job_ids[0], who.owner_id)
    await _answer(
        interaction,
        message,
        **await asyncio.to_thread(_sheet, members, drawn, ordered.source_id, ordered.base_name, locale),
    )


async def _wait(members: PackMembers, job_ids: list[int]) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        if await asyncio.to_thread(members.finished, job_ids):
            return True
        await asyncio.sleep(POLL_S)
    return False


def _sheet(members: PackMembers, drawn: list[Member], source_id: int, name: str, locale) -> dict:
    shown = [m for m in drawn if m.drawn]
    lines = []
    if not shown:
        errors = "; ".join(sorted({m.error or m.status for m in drawn}))
        return {"content": i18n.text(locale, "pack.nothing_drawn", error=errors), "attachments": [], "view": None}
    lines.append(i18n.text(locale, "pack.ready", parent=source_id, count=len(shown)))
    failed = [m for m in drawn if m.status == "failed"]
    if failed:
        expressions = ", ".join(i18n.choice_label(locale, m.expression) for m in failed)
        lines.append(
            i18n.text(
                locale,
                "pack.failed_members",
                expressions=expressions,
                error="; ".join(sorted({m.error or "" for m in failed})),
            )
        )
    held = [m for m in drawn if m.status == "flagged"]
    if held:
        lines.append(
            i18n.text(
                locale,
                "pack.held_members",
                expressions=", ".join(i18n.choice_label(locale, m.expression) for m in held),
            )
        )
    png = sheet_png([(f":{name}_{m.expression}:", members.picture(m)) for m in shown], columns=len(shown))
    return {
        "content": "\n".join(lines),
        "attachments": [discord.File(io.BytesIO(png), filename=f"pack-{source_id}.png")],
        "view": sheet_view([(m.id, m.expression) for m in shown], name, locale),
    }


async def _answer(interaction: discord.Interaction, message: Optional[discord.WebhookMessage], **fields) -> None:
    if message is not None:
        await message.edit(**fields)
    else:
        await interaction.edit_original_response(**fields)


# -- the buttons ------------------------------------------------------------------


async def show(interaction: discord.Interaction, services: BotServices, member_id: int, name: str) -> None:
    """An expression's button: its emoji (128x128) and sticker (320x320) files, only to the presser."""
    members = members_of(services)
    drawn = await asyncio.to_thread(members.of, member_id, interaction.user.id)
    [member] = [m for m in drawn if m.id == member_id]
    if not member.drawn:
        raise Refusal("error.no_picture", id=member_id)
    emoji, sticker = await asyncio.to_thread(lambda: (members.emoji_png(member), members.sticker_png(member)))
    base = f"{name}_{member.expression}"
    await interaction.response.send_message(
        i18n.text(
            interaction.locale, "pack.files", expression=i18n.choice_label(interaction.locale, member.expression)
        ),
        files=[
            discord.File(io.BytesIO(emoji), filename=f"{base}-emoji.png"),
            discord.File(io.BytesIO(sticker), filename=f"{base}-sticker.png"),
        ],
        ephemeral=True,
    )


async def emojis(interaction: discord.Interaction, services: BotServices, member_id: int, name: str) -> None:
    """ "Add to server as emojis": every drawn expression, named NAME_expression (the pack's owner only)."""
    members = members_of(services)
    drawn = await asyncio.to_thread(_owned, members, member_id, interaction.user.id)
    await interaction.response.defer(ephemeral=True, thinking=True)
    uploads = await asyncio.to_thread(
        lambda: [
            Upload(f"{clean_name_base(name)}_{m.expression}", m.expression, members.emoji_png(m))
            for m in drawn
            if m.drawn
        ]
    )
    outcome = await add_emojis(interaction, uploads, interaction.locale)
    await interaction.followup.send(outcome, ephemeral=True)


async def stickers(interaction: discord.Interaction, services: BotServices, member_id: int, name: str) -> None:
    """ "Sticker": the 320x320 sticker files to download, each with a button that adds it to the server."""
    members = members_of(services)
    drawn = [m for m in await asyncio.to_thread(members.of, member_id, interaction.user.id) if m.drawn]
    files = await asyncio.to_thread(
        lambda: [
            discord.File(io.BytesIO(members.sticker_png(m)), filename=f"{name}_{m.expression}-sticker.png")
            for m in drawn
        ]
    )
    await interaction.response.send_message(
        i18n.text(interaction.locale, "pack.sticker_files"),
        files=files,
        view=stickers_view([(m.id, m.expression) for m in drawn], name, interaction.locale),
        ephemeral=True,
    )


async def sticker(interaction: discord.Interaction, services: BotServices, member_id: int, name: str) -> None:
    """Add one expression as a guild sticker (the pack's owner only)."""
    members = members_of(services)
    drawn = await asyncio.to_thread(_owned, members, member_id, interaction.user.id)
    [member] = [m for m in drawn if m.id == member_id]
    if not member.drawn:
        raise Refusal("error.no_picture", id=member_id)
    await interaction.response.defer(ephemeral=True, thinking=True)
    png = await asyncio.to_thread(members.sticker_png, member)
    upload = Upload(sticker_name(name, member.expression), member.expression, png)
    outcome = await add_sticker(interaction, upload, EXPRESSION_EMOJI[member.expression], interaction.locale)
    await interaction.followup.send(outcome, ephemeral=True)


def _owned(members: PackMembers, member_id: int, user_id: int) -> list[Member]:
    drawn = members.of(member_id, user_id)
    if any(m.owner_id != user_id for m in drawn):
        raise Refusal("look.not_yours", id=member_id)
    return drawn


PackAction = Callable[[discord.Interaction, BotServices, int, str], Awaitable[None]]
PACK_ACTIONS: dict[str, PackAction] = {"show": show, "emojis": emojis, "stickers": stickers, "sticker": sticker}
