"""What commands and buttons do once their options are checked: defer inside Discord's 3 s,
do the database work in a thread (bot.gallery, bot.review_desk, bot.studio), answer.

Shared by the slash commands (bot.commands) and the persistent buttons (bot.views), so a
button under an old message does exactly what the command does.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import discord

from bot import i18n
from bot.cards import AvatarCard, avatar_embed, avatar_file, describe_card, png_file
from bot.errors import Refusal
from bot.guild_settings import GuildSettings, SettingsChange
from bot.replies import defer_thinking, deferred_publicly, placeholder_answered
from bot.services import BotServices
from bot.submit import queue_request, requester, submit_request
from bot.views import AvatarButton, history_view, result_view
from core.vocabulary import VOCABULARY

Locale = discord.Locale | str | None
HIDDEN_STATES = ("pending", "rejected")


def _courier(interaction: discord.Interaction) -> Any:
    return getattr(interaction.client, "courier", None)


async def answer(
    interaction: discord.Interaction,
    *,
    content: Optional[str] = None,
    embeds: Optional[list[discord.Embed]] = None,
    files: Optional[list[discord.File]] = None,
    view: Optional[discord.ui.View] = None,
    private: bool = False,
) -> None:
    """Replace the deferred reply. A private answer to a public deferral goes to an ephemeral
    follow-up instead (the public placeholder is deleted), so nobody else sees it."""
    if private and deferred_publicly(interaction):
        await interaction.delete_original_response()
        placeholder_answered(interaction)
        kwargs: dict[str, Any] = {"ephemeral": True}
        if content is not None:
            kwargs["content"] = content
        if embeds:
            kwargs["embeds"] = embeds
        if files:
            kwargs["files"] = files
        if view is not None:
            kwargs["view"] = view
        await interaction.followup.send(**kwargs)
        return
    await interaction.edit_original_response(
        content=content, embeds=embeds or [], attachments=files or [], view=view
    )
    placeholder_answered(interaction)


# -- requests that make avatars -----------------------------------------------------------


async def reroll(interaction: discord.Interaction, services: BotServices, avatar_id: Optional[int]) -> None:
    studio = services.need_studio()
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
    studio = services.need_studio()
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.vary(who, avatar_id, strength, reply=ticket, request_id=rid),
        ephemeral=_on_ephemeral_message(interaction),
    )


async def mix(interaction: discord.Interaction, services: BotServices, first_id: int, second_id: int) -> None:
    studio = services.need_studio()
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.mix(who, first_id, second_id, reply=ticket, request_id=rid),
        ephemeral=False,
    )


async def photo(
    interaction: discord.Interaction, services: BotServices, image: discord.Attachment, strength: Optional[float]
) -> None:
    studio = services.need_studio()
    who = requester(interaction)
    await defer_thinking(interaction, ephemeral=False)
    upload = await image.read()  # Discord's CDN links expire: keep the bytes ourselves
    await queue_request(
        interaction,
        services,
        lambda ticket, rid: studio.photo(who, upload, strength, reply=ticket, request_id=rid),
        ephemeral=False,
    )


def _on_ephemeral_message(interaction: discord.Interaction) -> bool:
    """A button on an ephemeral message answers ephemerally too."""
    message = interaction.message
    return message is not None and message.flags.ephemeral


# -- looking and tidying ----------------------------------------------------------------------


async def show(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    gallery = services.need_gallery()
    await defer_thinking(interaction, ephemeral=False)
    card = await asyncio.to_thread(gallery.show, interaction.user.id, avatar_id)
    await _show_card(interaction, card)


async def _show_card(interaction: discord.Interaction, card: AvatarCard) -> None:
    locale = interaction.locale
    files = [f for f in [avatar_file(card)] if f is not None]
    note = None
    if card.review_state in HIDDEN_STATES:
        note = i18n.text(locale, f"show.{card.review_state}", id=card.id)
    await answer(
        interaction,
        content=note,
        embeds=[avatar_embed(card, locale)],
        files=files,
        view=result_view(card.id, locale),
        private=card.private or card.review_state in HIDDEN_STATES,
    )


async def favourite(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    gallery = services.need_gallery()
    await defer_thinking(interaction, ephemeral=True)
    added = await asyncio.to_thread(gallery.favourite, interaction.user.id, avatar_id)
    key = "saved" if added else "saved.already"
    await answer(interaction, content=i18n.text(interaction.locale, key, id=avatar_id))


async def delete(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    gallery = services.need_gallery()
    await defer_thinking(interaction, ephemeral=True)
    await asyncio.to_thread(gallery.delete, interaction.user.id, avatar_id)
    await answer(interaction, content=i18n.text(interaction.locale, "deleted", id=avatar_id))


async def delete_from_button(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    """Delete (owner only), then replace the message the button is on."""
    gallery = services.need_gallery()
    await interaction.response.defer()  # a component: "update the message later"
    await asyncio.to_thread(gallery.delete, interaction.user.id, avatar_id)
    await interaction.edit_original_response(
        content=i18n.text(interaction.locale, "deleted", id=avatar_id), embeds=[], attachments=[], view=None
    )


async def forget(interaction: discord.Interaction, services: BotServices) -> None:
    """The forget-me confirmation was pressed: delete everything, then say what went."""
    gallery = services.need_gallery()
    await interaction.response.defer()
    forgotten = await asyncio.to_thread(gallery.forget, interaction.user.id)
    text = i18n.text(interaction.locale, "forget.done", avatars=forgotten.avatars)
    await interaction.edit_original_response(content=text, view=None)


async def history(
    interaction: discord.Interaction, services: BotServices, page: int, *, from_button: bool = False
) -> None:
    """One page (from 0) of the user's avatars: a contact sheet, the ids, and page buttons."""
    gallery = services.need_gallery()
    if from_button:
        await interaction.response.defer()
    else:
        await defer_thinking(interaction, ephemeral=True)
    locale = interaction.locale
    found = await asyncio.to_thread(gallery.history, interaction.user.id, page)
    if not found.cards:
        await interaction.edit_original_response(
            content=i18n.text(locale, "history.empty"), embeds=[], attachments=[], view=None
        )
        placeholder_answered(interaction)
        return
    embed = discord.Embed(
        title=i18n.text(locale, "history.title", page=found.page + 1, pages=found.pages, total=found.total),
        description="\n".join(_history_line(card, locale) for card in found.cards),
        colour=discord.Colour.pink(),
    )
    files = []
    if found.sheet is not None:
        embed.set_image(url="attachment://history.png")
        files.append(png_file(found.sheet, "history.png"))
    view = history_view(interaction.user.id, found.page, found.pages, locale)
    await interaction.edit_original_response(content=None, embeds=[embed], attachments=files, view=view)
    placeholder_answered(interaction)


def _history_line(card: AvatarCard, locale: Locale) -> str:
    kind = i18n.text(locale, f"kind.{card.kind}")
    when = f" <t:{int(card.finished_at.timestamp())}:R>" if card.finished_at else ""
    marks = " 🔒" if card.private else ""
    if card.review_state in HIDDEN_STATES:
        marks += " ⏳" if card.review_state == "pending" else " ✖"
    return f"`#{card.id}` {kind}: {describe_card(card, locale)}{when}{marks}"


async def styles(interaction: discord.Interaction, services: BotServices, embed: discord.Embed) -> None:
    """The styles and what each offers at once; then a sheet of real examples, where there are any."""
    await interaction.response.send_message(embed=embed, ephemeral=True)
    if services.session_factory is None or services.image_store is None:
        return
    gallery = services.need_gallery()
    locale = interaction.locale
    found = await asyncio.to_thread(gallery.styles, VOCABULARY.styles)
    files = []
    if found.sheet is not None:
        embed.set_image(url="attachment://styles.png")
        files.append(png_file(found.sheet, "styles.png"))
    if found.missing:
        names = ", ".join(i18n.choice_label(locale, s) for s in found.missing)
        key = "styles.none_yet" if len(found.missing) == len(VOCABULARY.styles) else "styles.missing"
        embed.set_footer(text=i18n.text(locale, key, styles=names))
    await interaction.edit_original_response(embed=embed, attachments=files)


async def queue(interaction: discord.Interaction, services: BotServices) -> None:
    gallery = services.need_gallery()
    await defer_thinking(interaction, ephemeral=True)
    locale = interaction.locale
    status = await asyncio.to_thread(gallery.queue, interaction.user.id)
    lines = []
    for entry in status.entries:
        if entry.place is None:
            lines.append(i18n.text(locale, "queue.running", id=entry.avatar_id))
        else:
            lines.append(i18n.text(locale, "queue.queued", id=entry.avatar_id, place=entry.place))
    if not lines:
        lines.append(i18n.text(locale, "queue.nothing"))
    lines.append(i18n.text(locale, "queue.workers", workers=status.workers))
    if status.eta_s is not None:
        key = "queue.eta" if status.entries else "queue.eta_new"
        lines.append(i18n.text(locale, key, seconds=max(1, round(status.eta_s))))
    elif status.workers:
        lines.append(i18n.text(locale, "queue.eta_unknown"))
    await answer(interaction, content="\n".join(lines))


# -- reports and moderation -------------------------------------------------------------------


async def report(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    desk = services.need_review_desk()
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
    desk = services.need_review_desk()
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
    desk = services.need_review_desk()
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
    desk = services.need_review_desk()
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
    desk = services.need_review_desk()
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


async def server_settings(interaction: discord.Interaction, services: BotServices, change: SettingsChange) -> None:
    """Show the server's settings, or save a change to them first (and log it)."""
    desk = services.need_review_desk()
    await defer_thinking(interaction, ephemeral=True)
    guild_id = interaction.guild_id
    if guild_id is None:  # the group is guild-only; a payload can still claim otherwise
        raise Refusal("error.guild_only")
    if change.is_empty():
        current = await asyncio.to_thread(desk.settings_of, guild_id)
        head = i18n.text(interaction.locale, "admin.current")
    else:
        current = await asyncio.to_thread(
            desk.save_settings, guild_id=guild_id, admin_id=interaction.user.id, change=change,
            locale=str(interaction.locale),
        )
        head = i18n.text(interaction.locale, "admin.saved")
    await answer(interaction, content=f"{head}\n{settings_summary(current, interaction.locale)}")


def settings_summary(rules: GuildSettings, locale: Locale) -> str:
    def channels(ids: tuple[int, ...], empty_key: str) -> str:
        return ", ".join(f"<#{c}>" for c in ids) if ids else i18n.text(locale, empty_key)

    def names(values: Optional[tuple[str, ...]]) -> str:
        if values is None:
            return i18n.text(locale, "settings.all")
        return ", ".join(i18n.choice_label(locale, v) for v in values)

    review_names = {"off": "off", "flagged": "flagged only", "all": "all"}
    return i18n.text(
        locale,
        "admin.summary",
        review=i18n.choice_label(locale, review_names[rules.review_mode]),
        review_channel=f"<#{rules.review_channel}>" if rules.review_channel else i18n.text(locale, "settings.none"),
        concurrent=rules.concurrent_limit,
        daily=rules.daily_limit,
        visibility=i18n.choice_label(locale, rules.default_visibility),
        allowed=channels(rules.allowed_channels, "settings.all"),
        blocked=channels(rules.blocked_channels, "settings.none"),
        styles=names(rules.allowed_styles),
        backends=names(rules.allowed_backends),
    )
