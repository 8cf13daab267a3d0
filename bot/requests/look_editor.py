"""Edit: the person's own avatar again, same seed and spec, with the attributes they changed.

`/avatar edit avatar [style] [hair] ...` takes /avatar create's attribute options; the Edit button
under every result answers, only to the presser, with menus of the same choices (Discord allows five
rows: hair colour, hair, expression and background get one each, and one menu holds style, skin,
glasses and accessory). A pick queues the edit at once. The menus are dynamic items: their
custom_id carries the attribute and the avatar id, so they keep working after a restart.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Optional

import discord

from bot import i18n
from bot.common.option_check import check_ids
from bot.common.services import BotServices
from bot.replies.errors import Refusal
from bot.replies.interaction import reply_with_error
from bot.requests.studio import studio_of
from bot.requests.submit import requester, submit_request
from bot.ui.buttons import menu_choice, services_of
from core.spec import AvatarSpec
from core.vocabulary import ATTRIBUTE_LABELS, VOCABULARY

# One menu each; the rest share the last menu as "attribute=value" options.
OWN_MENUS = ("hair_color", "hair", "expression", "background")
SHARED_MENU = "more"
SHARED_ATTRIBUTES = ("style", "skin", "glasses", "accessory")
MAX_OPTIONS = 25  # Discord's limit for one menu


def offered_values(spec: AvatarSpec, attribute: str) -> tuple[str, ...]:
    """What the avatar's style can draw for `attribute` (every style's, when none was set); every style
    for the style itself."""
    if attribute == "style":
        return VOCABULARY.styles
    styles = (spec.style,) if spec.style else VOCABULARY.styles
    offered = {v for s in styles for v in VOCABULARY.offered(s, attribute)}
    return tuple(v for v in VOCABULARY.values[attribute] if v in offered)


class LookChoice(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"avatar:change:(?P<menu>" + "|".join((*OWN_MENUS, SHARED_MENU)) + r"):(?P<avatar_id>[0-9]{1,20})",
):
    """One menu of the Edit choice."""

    def __init__(self, menu: str, avatar_id: int, select: discord.ui.Select[Any] | None = None) -> None:
        super().__init__(select or discord.ui.Select(custom_id=f"avatar:change:{menu}:{avatar_id}"))
        self.menu = menu
        self.avatar_id = avatar_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select[Any], match: re.Match[str], /
    ) -> LookChoice:
        return cls(match["menu"], int(match["avatar_id"]), item)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            check_ids(interaction)
            services = services_of(interaction)
            picked = menu_choice(self.item)
            if self.menu == SHARED_MENU and "=" not in picked:  # the shared menu sends attribute=value
                raise Refusal("photo.edit_nothing_chosen")
            attribute, value = picked.split("=", 1) if self.menu == SHARED_MENU else (self.menu, picked)
            await edit(interaction, services, self.avatar_id, {attribute: value})
        except Exception as exc:  # the edge for the menus: report, never leave the user without an answer
            await reply_with_error(interaction, exc)


def look_editor(avatar_id: int, spec: AvatarSpec, locale: discord.Locale | str | None) -> discord.ui.View:
    """The Edit choice: a menu per attribute showing the current value, and one shared menu."""
    view = discord.ui.View(timeout=None)
    for attribute in OWN_MENUS:
        label = i18n.attribute_label(locale, attribute, ATTRIBUTE_LABELS[attribute])
        current = getattr(spec, attribute)
        shown = i18n.choice_label(locale, current) if current else i18n.text(locale, "edit.open")
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"avatar:change:{attribute}:{avatar_id}",
            placeholder=i18n.text(locale, "edit.placeholder", attribute=label, value=shown)[:150],
            options=[
                discord.SelectOption(label=i18n.choice_label(locale, v)[:100], value=v, default=v == current)
                for v in offered_values(spec, attribute)[:MAX_OPTIONS]
            ],
        )
        view.add_item(LookChoice(attribute, avatar_id, select))
    shared = []
    for attribute in SHARED_ATTRIBUTES:
        label = i18n.attribute_label(locale, attribute, ATTRIBUTE_LABELS[attribute])
        for value in offered_values(spec, attribute):
            if value != getattr(spec, attribute):
                text = f"{label}: {i18n.choice_label(locale, value)}"
                shared.append(discord.SelectOption(label=text[:100], value=f"{attribute}={value}"))
    select = discord.ui.Select(
        custom_id=f"avatar:change:{SHARED_MENU}:{avatar_id}",
        placeholder=i18n.text(locale, "edit.more_placeholder")[:150],
        options=shared[:MAX_OPTIONS],
    )
    view.add_item(LookChoice(SHARED_MENU, avatar_id, select))
    return view


async def edit_pressed(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    """The Edit button: the choice, only to the presser (their own avatars only)."""
    studio = studio_of(services)
    spec = await asyncio.to_thread(studio.look_of, requester(interaction), avatar_id)
    await interaction.response.send_message(
        i18n.text(interaction.locale, "edit.prompt", id=avatar_id),
        view=look_editor(avatar_id, spec, interaction.locale),
        ephemeral=True,
    )


async def edit(
    interaction: discord.Interaction, services: BotServices, avatar_id: int, changes: dict[str, Optional[str]]
) -> None:
    """/avatar edit and a pick in the Edit choice: an edit job of the person's own avatar."""
    studio = studio_of(services)
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.edit(who, avatar_id, changes, reply=ticket, request_id=rid),
        ephemeral=False,  # a result like any other (a private source moves it to an ephemeral follow-up)
    )
