"""/avatar history: a page of the user's avatars as a contact sheet with their ids, and the
persistent buttons that turn its pages (only its owner can)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord

from bot import i18n
from bot.common.option_check import check_ids
from bot.common.services import BotServices
from bot.gallery.service import HIDDEN_STATES, gallery_of
from bot.replies.errors import Refusal
from bot.replies.interaction import defer_thinking, placeholder_answered, reply_with_error
from bot.ui.buttons import services_of
from bot.ui.cards import AvatarCard, describe_card, png_file

Locale = discord.Locale | str | None


async def history(
    interaction: discord.Interaction, services: BotServices, page: int, *, from_button: bool = False
) -> None:
    """One page (from 0) of the user's avatars: a contact sheet, the ids, and page buttons."""
    gallery = gallery_of(services)
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


class HistoryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"history:(?P<user_id>[0-9]{1,20}):(?P<page>[0-9]{1,6}):(?P<direction>prev|next)",
):
    """Previous / next page of /avatar history (pages from 0); only its owner can turn them.
    The direction keeps the two custom_ids of one message different even when they name one page."""

    def __init__(
        self, user_id: int, page: int, direction: str, *, label: str | None = None, disabled: bool = False
    ) -> None:
        custom_id = f"history:{user_id}:{page}:{direction}"
        style = discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id, disabled=disabled))
        self.user_id = user_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> HistoryButton:
        return cls(int(match["user_id"]), int(match["page"]), match["direction"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            check_ids(interaction)
            if interaction.user.id != self.user_id:
                raise Refusal("error.not_yours")
            await history(interaction, services_of(interaction), self.page, from_button=True)
        except Exception as exc:  # the edge for buttons
            await reply_with_error(interaction, exc)


def history_view(user_id: int, page: int, pages: int, locale: Locale) -> discord.ui.View:
    """Previous and next page; a button that would leave the range is disabled (its id stays unique)."""
    view = discord.ui.View(timeout=None)
    previous, following = max(page - 1, 0), min(page + 1, pages - 1)
    back = i18n.text(locale, "button.previous")
    forward = i18n.text(locale, "button.next")
    view.add_item(HistoryButton(user_id, previous, "prev", label=back, disabled=page <= 0))
    view.add_item(HistoryButton(user_id, following, "next", label=forward, disabled=page >= pages - 1))
    return view
