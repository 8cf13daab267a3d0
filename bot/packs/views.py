"""The pack's views: one button per expression (its emoji and sticker files), "Add to server as emojis"
and "Sticker" (the sticker files, each with a button that adds it to the server).

The custom_id carries the action, a member's avatar id and the emoji name chosen for the pack;
bot.packs.buttons.PackButton answers presses (after a restart too) from it and the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

import discord

from bot import i18n

ACTIONS = ("show", "emojis", "stickers", "sticker")
CUSTOM_ID = r"pack:(?P<action>show|emojis|stickers|sticker):(?P<member_id>[0-9]{1,20}):(?P<name>[A-Za-z0-9_]{1,32})"


def pack_button(
    action: str,
    member_id: int,
    name: str,
    label: Optional[str],
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=label, style=style, custom_id=f"pack:{action}:{member_id}:{name}")


def sheet_view(members: Sequence[tuple[int, str]], name: str, locale: discord.Locale | str | None) -> discord.ui.View:
    """(member id, expression) of the drawn members: a button each, then the two upload buttons."""
    view = discord.ui.View(timeout=None)
    for member_id, expression in members:
        view.add_item(pack_button("show", member_id, name, i18n.choice_label(locale, expression)))
    first = members[0][0]
    view.add_item(
        pack_button("emojis", first, name, i18n.text(locale, "button.pack_emojis"), discord.ButtonStyle.primary)
    )
    view.add_item(pack_button("stickers", first, name, i18n.text(locale, "button.pack_stickers")))
    return view


def stickers_view(
    members: Sequence[tuple[int, str]], name: str, locale: discord.Locale | str | None
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for member_id, expression in members:
        view.add_item(pack_button("sticker", member_id, name, f"+ {i18n.choice_label(locale, expression)}"[:80]))
    return view
