""" "Edit what was read": change what a photo avatar read, without uploading the photo again.

The button under a photo result answers, only to the presser, with one menu per attribute a photo
can tell; picking a value draws the avatar again (same spec, same seed) with that value, as a child
photo job. The menus are dynamic items: their custom_id carries the attribute and the avatar id, so
they keep working after a restart, and everything else comes from the database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

import discord

from bot import i18n
from bot.common.option_check import check_ids
from bot.common.services import BotServices
from bot.replies.interaction import reply_with_error
from bot.requests.studio import studio_of
from bot.requests.submit import requester, submit_request
from bot.ui.buttons import menu_choice, services_of
from core.spec import AvatarSpec
from core.vocabulary import ATTRIBUTE_LABELS, VOCABULARY

# What a photo can tell and a person may correct, one menu each (Discord allows five rows).
EDITABLE = ("hair_color", "hair", "skin", "expression", "glasses")
MAX_OPTIONS = 25  # Discord's limit for one menu


def values_for(spec: AvatarSpec, attribute: str) -> tuple[str, ...]:
    """The values the avatar's style can draw for `attribute` (every style's, when none was set)."""
    styles = (spec.style,) if spec.style else VOCABULARY.styles
    offered = {v for s in styles for v in VOCABULARY.offered(s, attribute)}
    return tuple(v for v in VOCABULARY.values[attribute] if v in offered)[:MAX_OPTIONS]


class ReadingChoice(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"avatar:fix:(?P<attribute>" + "|".join(EDITABLE) + r"):(?P<avatar_id>[0-9]{1,20})",
):
    """One attribute's menu in the editor."""

    def __init__(self, attribute: str, avatar_id: int, select: discord.ui.Select[Any] | None = None) -> None:
        super().__init__(select or discord.ui.Select(custom_id=f"avatar:fix:{attribute}:{avatar_id}"))
        self.attribute = attribute
        self.avatar_id = avatar_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select[Any], match: re.Match[str], /
    ) -> ReadingChoice:
        return cls(match["attribute"], int(match["avatar_id"]), item)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            check_ids(interaction)
            services = services_of(interaction)
            await fix_reading(interaction, services, self.avatar_id, self.attribute, menu_choice(self.item))
        except Exception as exc:  # the edge for the menus: report, never leave the user without an answer
            await reply_with_error(interaction, exc)


def reading_editor(
    avatar_id: int, spec: AvatarSpec, read: Mapping[str, str], locale: discord.Locale | str | None
) -> discord.ui.View:
    """One menu per editable attribute, showing what was read (or that it was not)."""
    view = discord.ui.View(timeout=None)
    for attribute in EDITABLE:
        label = i18n.attribute_label(locale, attribute, ATTRIBUTE_LABELS[attribute])
        current = getattr(spec, attribute)
        shown = read.get(attribute)
        placeholder = i18n.text(
            locale,
            "photo.edit_placeholder",
            attribute=label,
            value=i18n.choice_label(locale, shown) if shown else i18n.text(locale, "photo.not_read"),
        )
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"avatar:fix:{attribute}:{avatar_id}",
            placeholder=placeholder[:150],
            options=[
                discord.SelectOption(label=i18n.choice_label(locale, v)[:100], value=v, default=v == current)
                for v in values_for(spec, attribute)
            ],
        )
        view.add_item(ReadingChoice(attribute, avatar_id, select))
    return view


async def edit_reading(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    """The "Edit what was read" button: the editor, only to the presser."""
    studio = studio_of(services)
    spec, read = await asyncio.to_thread(studio.reading_of, requester(interaction), avatar_id)
    await interaction.response.send_message(
        i18n.text(interaction.locale, "photo.edit_prompt", id=avatar_id),
        view=reading_editor(avatar_id, spec, read, interaction.locale),
        ephemeral=True,
    )


async def fix_reading(
    interaction: discord.Interaction, services: BotServices, avatar_id: int, attribute: str, value: str
) -> None:
    """A choice in the editor: the photo avatar again, same seed, with `attribute` set to `value`."""
    studio = studio_of(services)
    who = requester(interaction)
    await submit_request(
        interaction,
        services,
        lambda ticket, rid: studio.fix_reading(who, avatar_id, attribute, value, reply=ticket, request_id=rid),
        ephemeral=False,
    )
