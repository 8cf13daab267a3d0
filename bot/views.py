"""Buttons that keep working after a restart: their custom_id carries what they act on.

They are discord.py dynamic items: the bot registers the classes once, and any button whose
custom_id matches a template is rebuilt from it, whatever message it is on and however old.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot import i18n
from bot.errors import Refusal, not_available_yet
from bot.permissions import require_guild_permission
from bot.replies import reply_with_error

# Discord's limit on a custom_id.
MAX_CUSTOM_ID = 100

RESULT_ACTIONS = ("reroll", "vary", "save", "delete", "report")
MODERATOR_ACTIONS = ("approve", "reject")
_STYLES = {
    "reroll": discord.ButtonStyle.primary,
    "vary": discord.ButtonStyle.secondary,
    "save": discord.ButtonStyle.success,
    "delete": discord.ButtonStyle.danger,
    "report": discord.ButtonStyle.secondary,
    "approve": discord.ButtonStyle.success,
    "reject": discord.ButtonStyle.danger,
}


class AvatarButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"avatar:(?P<action>reroll|vary|save|delete|report|approve|reject):(?P<avatar_id>[0-9]{1,20})",
):
    """A button under a result: re-roll, vary, save, delete (owner), report; approve/reject (moderators)."""

    def __init__(self, action: str, avatar_id: int, *, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=_STYLES[action], custom_id=f"avatar:{action}:{avatar_id}")
        )
        self.action = action
        self.avatar_id = avatar_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> AvatarButton:
        return cls(match["action"], int(match["avatar_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self._act(interaction)
        except Exception as exc:  # the edge for buttons: report, never leave the user without an answer
            await reply_with_error(interaction, exc)

    async def _act(self, interaction: discord.Interaction) -> None:
        if self.action in MODERATOR_ACTIONS:
            require_guild_permission(interaction, "manage_messages")
        # Every action reads or changes the avatar's row; that wiring comes with the database.
        raise not_available_yet()


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
            await self._answer(interaction)
        except Exception as exc:  # the edge for buttons
            await reply_with_error(interaction, exc)

    async def _answer(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            raise Refusal("error.not_yours")
        if self.answer == "no":
            await interaction.response.edit_message(
                content=i18n.text(interaction.locale, "forget.cancelled"), view=None
            )
            return
        # Deleting the rows and image files comes with the database.
        raise not_available_yet()


DYNAMIC_ITEMS = (AvatarButton, ForgetMeButton)


def result_view(
    avatar_id: int, locale: discord.Locale | str | None, *, for_moderators: bool = False
) -> discord.ui.View:
    """The buttons under a delivered avatar (persistent: no timeout, state comes from the database)."""
    view = discord.ui.View(timeout=None)
    actions = RESULT_ACTIONS + (MODERATOR_ACTIONS if for_moderators else ())
    for action in actions:
        view.add_item(AvatarButton(action, avatar_id, label=i18n.text(locale, f"button.{action}")))
    return view


def forget_me_view(user_id: int, locale: discord.Locale | str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetMeButton("yes", user_id, label=i18n.text(locale, "forget.yes")))
    view.add_item(ForgetMeButton("no", user_id, label=i18n.text(locale, "forget.cancel")))
    return view
