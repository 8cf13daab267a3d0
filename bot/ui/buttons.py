"""Buttons under an avatar that keep working after a restart: their custom_id carries the action
and the avatar id.

They are discord.py dynamic items: the bot registers the class once, and any button whose
custom_id matches the template is rebuilt from it, whatever message it is on and however old.
What a press does belongs to its feature (requests: reroll, vary; gallery: save, delete;
moderation: report, approve, reject; export: export), which bot.app hands to the buttons as
`BotServices.button_actions`; everything else a press needs comes from the database.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot import i18n
from bot.common.option_check import check_ids
from bot.common.permissions import require_guild_permission
from bot.common.services import BotServices
from bot.replies.errors import Refusal, not_configured
from bot.replies.interaction import reply_with_error

# Discord's limit on a custom_id.
MAX_CUSTOM_ID = 100

RESULT_ACTIONS = ("reroll", "vary", "change", "save", "delete", "report", "export")
# Under an avatar made from a photo: change what was read without uploading again (requests).
PHOTO_ACTIONS = ("edit",)
MODERATOR_ACTIONS = ("approve", "reject")
_STYLES = {
    "reroll": discord.ButtonStyle.primary,
    "vary": discord.ButtonStyle.secondary,
    "save": discord.ButtonStyle.success,
    "delete": discord.ButtonStyle.danger,
    "report": discord.ButtonStyle.secondary,
    "export": discord.ButtonStyle.secondary,
    "edit": discord.ButtonStyle.secondary,
    "change": discord.ButtonStyle.secondary,
    "approve": discord.ButtonStyle.success,
    "reject": discord.ButtonStyle.danger,
}


def services_of(interaction: discord.Interaction) -> BotServices:
    """The services of the bot this interaction reached (a button has no other way to them)."""
    services = getattr(interaction.client, "services", None)
    if services is None:
        raise not_configured()
    return services


def menu_choice(item: discord.ui.Item[Any]) -> str:
    """The value picked in a select menu. Discord sends one; a forged payload may send none, or be a
    button press carrying a menu's custom_id (discord.py then builds a Button, which has no values)."""
    values = getattr(item, "values", None) or []
    if not values:
        raise Refusal("photo.edit_nothing_chosen")
    return str(values[0])


class AvatarButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"avatar:(?P<action>reroll|vary|change|save|delete|report|edit|export|approve|reject):(?P<avatar_id>[0-9]{1,20})",
):
    """A button under a result: re-roll, vary, edit ("change": the Edit choice), save, delete (owner),
    report, edit what was read (a photo avatar); approve/reject (moderators)."""

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
            check_ids(interaction)
            if self.action in MODERATOR_ACTIONS:
                require_guild_permission(interaction, "manage_messages")
            services = services_of(interaction)
            act = services.button_actions.get(self.action)
            if act is None:
                raise not_configured()
            await act(interaction, services, self.avatar_id)
        except Exception as exc:  # the edge for buttons: report, never leave the user without an answer
            await reply_with_error(interaction, exc)


def result_view(
    avatar_id: int, locale: discord.Locale | str | None, *, for_moderators: bool = False, from_photo: bool = False
) -> discord.ui.View:
    """The buttons under a delivered avatar (persistent: no timeout, state comes from the database)."""
    view = discord.ui.View(timeout=None)
    actions = RESULT_ACTIONS + (PHOTO_ACTIONS if from_photo else ()) + (MODERATOR_ACTIONS if for_moderators else ())
    for action in actions:
        view.add_item(AvatarButton(action, avatar_id, label=i18n.text(locale, f"button.{action}")))
    return view


def review_view(avatar_id: int, locale: discord.Locale | str | None) -> discord.ui.View:
    """The moderators' copy of a held result: Approve and Reject."""
    view = discord.ui.View(timeout=None)
    for action in MODERATOR_ACTIONS:
        view.add_item(AvatarButton(action, avatar_id, label=i18n.text(locale, f"button.{action}")))
    return view
