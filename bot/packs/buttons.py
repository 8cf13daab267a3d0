"""The pack's buttons as dynamic items: any press of a `pack:...` custom_id, however old, reaches its action."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.common.option_check import check_ids
from bot.packs.handlers import PACK_ACTIONS
from bot.packs.views import CUSTOM_ID, pack_button
from bot.replies.interaction import reply_with_error
from bot.ui.buttons import services_of


class PackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CUSTOM_ID,
):
    """A press of one of the pack's buttons, rebuilt from its custom_id."""

    def __init__(
        self,
        action: str,
        member_id: int,
        name: str,
        *,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(pack_button(action, member_id, name, label, style))
        self.action = action
        self.member_id = member_id
        self.name = name

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PackButton:
        return cls(match["action"], int(match["member_id"]), match["name"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            check_ids(interaction)
            await PACK_ACTIONS[self.action](interaction, services_of(interaction), self.member_id, self.name)
        except Exception as exc:  # the edge for the pack's buttons
            await reply_with_error(interaction, exc)
