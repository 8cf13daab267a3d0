"""What the moderators' commands and buttons do (and a member's Report button): defer inside
Discord's 3 s, do the database work in a thread (bot.moderation.desk), tell delivery what changed,
answer."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import discord

from bot import i18n
from bot.common.services import BotServices
from bot.moderation.desk import desk_of
from bot.replies.errors import Refusal
from bot.replies.interaction import answer, defer_thinking
from bot.ui.buttons import AvatarButton
from bot.ui.cards import describe_card, png_file


def _courier(interaction: discord.Interaction) -> Any:
    # Delivery belongs to the bot (bot.app), not to this feature: reached through the client.
    return getattr(interaction.client, "courier", None)


async def report(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    """The Report button: the avatar goes back in front of the moderators."""
    desk = desk_of(services)
    await defer_thinking(interaction, ephemeral=True)
    filed = await asyncio.to_thread(
        desk.report, reporter_id=interaction.user.id, avatar_id=avatar_id, guild_id=interaction.guild_id
    )
    courier = _courier(interaction)
    if filed.review_channel is not None and courier is not None:
        why = i18n.text(filed.moderator_locale, "review.why.report", user=f"<@{interaction.user.id}>")
        await courier.post_for_review(filed.card, filed.review_channel, why=why, locale=filed.moderator_locale)
    await answer(interaction, content=i18n.text(interaction.locale, "report.thanks", id=avatar_id))


async def decide(
    interaction: discord.Interaction, services: BotServices, avatar_id: int, *, approve: bool, reason: Optional[str]
) -> None:
    """Approve or reject a result waiting for review; the owner then gets it, or is told."""
    desk = desk_of(services)
    if interaction.guild_id is None:
        raise Refusal("error.not_in_server", id=avatar_id)
    await defer_thinking(interaction, ephemeral=True)
    card = await asyncio.to_thread(
        desk.decide,
        guild_id=interaction.guild_id,
        moderator_id=interaction.user.id,
        avatar_id=avatar_id,
        approve=approve,
        reason=reason,
    )
    courier = _courier(interaction)
    if courier is not None:
        await courier.after_decision(
            card, approved=approve, moderator_id=interaction.user.id, locale=str(interaction.locale)
        )
    key = "mod.approved" if approve else "mod.rejected"
    await answer(interaction, content=i18n.text(interaction.locale, key, id=avatar_id))


async def pending(interaction: discord.Interaction, services: BotServices, page: int) -> None:
    desk = desk_of(services)
    await defer_thinking(interaction, ephemeral=True)
    locale = interaction.locale
    found = await asyncio.to_thread(desk.pending, guild_id=interaction.guild_id, page=page)
    if not found.cards:
        await answer(interaction, content=i18n.text(locale, "mod.pending_empty"))
        return
    lines = [f"`#{c.id}` <@{c.owner_id}>: {describe_card(c, locale)}" for c in found.cards]
    embed = discord.Embed(
        title=i18n.text(locale, "mod.pending_title", total=found.total, page=found.page + 1, pages=found.pages),
        description="\n".join(lines),
        colour=discord.Colour.orange(),
    )
    files = []
    if found.sheet is not None:
        embed.set_image(url="attachment://pending.png")
        files.append(png_file(found.sheet, "pending.png"))
    view = discord.ui.View(timeout=None)
    for card in found.cards:
        for action in ("approve", "reject"):
            label = f"{i18n.text(locale, f'button.{action}')} #{card.id}"
            view.add_item(AvatarButton(action, card.id, label=label))
    await answer(interaction, embeds=[embed], files=files, view=view)


async def ban(
    interaction: discord.Interaction, services: BotServices, user: discord.abc.User, reason: Optional[str], *,
    banned: bool,
) -> None:
    desk = desk_of(services)
    await defer_thinking(interaction, ephemeral=True)
    await asyncio.to_thread(
        desk.set_ban,
        guild_id=interaction.guild_id,
        moderator_id=interaction.user.id,
        user_id=user.id,
        banned=banned,
        reason=reason,
    )
    key = "mod.banned" if banned else "mod.unbanned"
    await answer(interaction, content=i18n.text(interaction.locale, key, user=f"<@{user.id}>"))


async def moderation_log(
    interaction: discord.Interaction, services: BotServices, user: Optional[discord.abc.User], page: int
) -> None:
    desk = desk_of(services)
    await defer_thinking(interaction, ephemeral=True)
    locale = interaction.locale
    found = await asyncio.to_thread(
        desk.log, guild_id=interaction.guild_id, user_id=user.id if user else None, page=page
    )
    if not found.entries:
        await answer(interaction, content=i18n.text(locale, "mod.log_empty"))
        return
    lines = []
    for entry in found.entries:
        action = i18n.text(locale, f"action.{entry.action}")
        parts = [f"<t:{int(entry.at.timestamp())}:f>", f"<@{entry.moderator_id}>", action]
        if entry.target_user_id is not None:
            parts.append(f"<@{entry.target_user_id}>")
        if entry.avatar_id is not None:
            parts.append(f"#{entry.avatar_id}")
        line = " ".join(parts)
        if entry.reason:
            line += f": {entry.reason}"
        lines.append(line)
    embed = discord.Embed(
        title=i18n.text(locale, "mod.log_title", page=found.page + 1, pages=found.pages),
        description="\n".join(lines)[:4000],
        colour=discord.Colour.dark_grey(),
    )
    await answer(interaction, embeds=[embed])


async def _approve_pressed(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    await decide(interaction, services, avatar_id, approve=True, reason=None)


async def _reject_pressed(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    await decide(interaction, services, avatar_id, approve=False, reason=None)


# What the buttons under an avatar do for moderation (approve/reject check Manage Messages first).
BUTTON_ACTIONS = {"report": report, "approve": _approve_pressed, "reject": _reject_pressed}
