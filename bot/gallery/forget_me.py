"""/avatar forget-me: a confirmation only the asker can answer, then everything of theirs goes."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord

from bot import i18n
from bot.common.option_check import check_ids
from bot.common.services import BotServices
from bot.gallery.service import gallery_of
from bot.replies.errors import Refusal
from bot.replies.interaction import reply_with_error
from bot.ui.buttons import services_of


async def ask(interaction: discord.Interaction) -> None:
    """Nothing is deleted until the user presses the confirmation button."""
    await interaction.response.send_message(
        i18n.text(interaction.locale, "forget.confirm"),
        view=forget_me_view(interaction.user.id, interaction.locale),
        ephemeral=True,
    )


async def forget(interaction: discord.Interaction, services: BotServices) -> None:
    """The confirmation was pressed: delete everything, then say what went."""
    gallery = gallery_of(services)
    await interaction.response.defer()
    forgotten = await asyncio.to_thread(gallery.forget, interaction.user.id)
    text = i18n.text(interaction.locale, "forget.done", avatars=forgotten.avatars)
    await interaction.edit_original_response(content=text, view=None)


class ForgetMeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"forget:(?P<answer>yes|no):(?P<user_id>[0-9]{1,20})",
):
    """The confirmation of /avatar forget-me; only the user who asked can answer it."""

    def __init__(self, answer: str, user_id: int, *, label: str | None = None) -> None:
        style = discord.ButtonStyle.danger if answer == "yes" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"forget:{answer}:{user_id}"))
        self.answer = answer
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ForgetMeButton:
        return cls(match["answer"], int(match["user_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            check_ids(interaction)
            if interaction.user.id != self.user_id:
                raise Refusal("error.not_yours")
            if self.answer == "no":
                await interaction.response.edit_message(
                    content=i18n.text(interaction.locale, "forget.cancelled"), view=None
                )
                return
            await forget(interaction, services_of(interaction))
        except Exception as exc:  # the edge for buttons
            await reply_with_error(interaction, exc)


def forget_me_view(user_id: int, locale: discord.Locale | str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetMeButton("yes", user_id, label=i18n.text(locale, "forget.yes")))
    view.add_item(ForgetMeButton("no", user_id, label=i18n.text(locale, "forget.cancel")))
    return view
