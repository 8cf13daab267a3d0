"""Buttons that keep working after a restart: their custom_id carries what they act on.

They are discord.py dynamic items: the bot registers the classes once, and any button whose
custom_id matches a template is rebuilt from it, whatever message it is on and however old.
Everything else a press needs comes from the database (bot.actions does the work; it is
imported when a button is pressed, as it builds these views itself).
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot import i18n
from bot.errors import Refusal, not_configured
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


def _services(interaction: discord.Interaction) -> Any:
    services = getattr(interaction.client, "services", None)
    if services is None:
        raise not_configured()
    return services


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
        from bot import actions

        if self.action in MODERATOR_ACTIONS:
            require_guild_permission(interaction, "manage_messages")
        services = _services(interaction)
        if self.action == "reroll":
            await actions.reroll(interaction, services, self.avatar_id)
        elif self.action == "vary":
            await actions.vary(interaction, services, self.avatar_id, None)
        elif self.action == "save":
            await actions.favourite(interaction, services, self.avatar_id)
        elif self.action == "delete":
            await actions.delete_from_button(interaction, services, self.avatar_id)
        elif self.action == "report":
            await actions.report(interaction, services, self.avatar_id)
        else:
            await actions.decide(interaction, services, self.avatar_id, approve=self.action == "approve", reason=None)


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
        from bot import actions

        if interaction.user.id != self.user_id:
            raise Refusal("error.not_yours")
        if self.answer == "no":
            await interaction.response.edit_message(
                content=i18n.text(interaction.locale, "forget.cancelled"), view=None
            )
            return
        await actions.forget(interaction, _services(interaction))


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
        from bot import actions

        try:
            if interaction.user.id != self.user_id:
                raise Refusal("error.not_yours")
            await actions.history(interaction, _services(interaction), self.page, from_button=True)
        except Exception as exc:  # the edge for buttons
            await reply_with_error(interaction, exc)


DYNAMIC_ITEMS = (AvatarButton, ForgetMeButton, HistoryButton)


def result_view(
    avatar_id: int, locale: discord.Locale | str | None, *, for_moderators: bool = False
) -> discord.ui.View:
    """The buttons under a delivered avatar (persistent: no timeout, state comes from the database)."""
    view = discord.ui.View(timeout=None)
    actions = RESULT_ACTIONS + (MODERATOR_ACTIONS if for_moderators else ())
    for action in actions:
        view.add_item(AvatarButton(action, avatar_id, label=i18n.text(locale, f"button.{action}")))
    return view


def review_view(avatar_id: int, locale: discord.Locale | str | None) -> discord.ui.View:
    """The moderators' copy of a held result: Approve and Reject."""
    view = discord.ui.View(timeout=None)
    for action in MODERATOR_ACTIONS:
        view.add_item(AvatarButton(action, avatar_id, label=i18n.text(locale, f"button.{action}")))
    return view


def history_view(user_id: int, page: int, pages: int, locale: discord.Locale | str | None) -> discord.ui.View:
    """Previous and next page; a button that would leave the range is disabled (its id stays unique)."""
    view = discord.ui.View(timeout=None)
    previous, following = max(page - 1, 0), min(page + 1, pages - 1)
    back = i18n.text(locale, "button.previous")
    forward = i18n.text(locale, "button.next")
    view.add_item(HistoryButton(user_id, previous, "prev", label=back, disabled=page <= 0))
    view.add_item(HistoryButton(user_id, following, "next", label=forward, disabled=page >= pages - 1))
    return view


def forget_me_view(user_id: int, locale: discord.Locale | str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetMeButton("yes", user_id, label=i18n.text(locale, "forget.yes")))
    view.add_item(ForgetMeButton("no", user_id, label=i18n.text(locale, "forget.cancel")))
    return view
