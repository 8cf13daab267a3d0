"""The gallery's slash commands, under /avatar: history, show, favourite, delete, forget-me,
styles, queue."""

from __future__ import annotations

from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot import i18n
from bot.common.services import BotServices
from bot.gallery import forget_me, handlers
from bot.gallery.history import history as show_history
from core.vocabulary import ATTRIBUTE_LABELS, VOCABULARY

AvatarId = app_commands.Range[int, 1]


def avatar_commands(services: BotServices) -> list[app_commands.Command[Any, ..., None]]:
    """The /avatar subcommands that look at and tidy avatars, bound to this bot's services."""

    @app_commands.command(name=locale_str("history"), description=locale_str("Your avatars, one page at a time"))
    @app_commands.describe(page=locale_str("Page number"))
    async def history(interaction: discord.Interaction, page: Optional[app_commands.Range[int, 1]] = None) -> None:
        await show_history(interaction, services, (page or 1) - 1)

    @app_commands.command(name=locale_str("show"), description=locale_str("Show one avatar"))
    @app_commands.describe(id=locale_str("Avatar id"))
    async def show(interaction: discord.Interaction, id: AvatarId) -> None:
        await handlers.show(interaction, services, id)

    @app_commands.command(name=locale_str("favourite"), description=locale_str("Save an avatar to your favourites"))
    @app_commands.describe(id=locale_str("Avatar id"))
    async def favourite(interaction: discord.Interaction, id: AvatarId) -> None:
        await handlers.favourite(interaction, services, id)

    @app_commands.command(name=locale_str("delete"), description=locale_str("Delete one of your avatars"))
    @app_commands.describe(id=locale_str("Avatar id"))
    async def delete(interaction: discord.Interaction, id: AvatarId) -> None:
        await handlers.delete(interaction, services, id)

    @app_commands.command(name=locale_str("forget-me"), description=locale_str("Delete all your avatars and data"))
    async def forget(interaction: discord.Interaction) -> None:
        await forget_me.ask(interaction)

    @app_commands.command(name=locale_str("styles"), description=locale_str("See the styles and what each offers"))
    async def styles(interaction: discord.Interaction) -> None:
        await handlers.styles(interaction, services, styles_embed(interaction.locale))

    @app_commands.command(name=locale_str("queue"), description=locale_str("Your place in the queue and the wait"))
    async def queue(interaction: discord.Interaction) -> None:
        await handlers.queue(interaction, services)

    return [history, show, favourite, delete, forget, styles, queue]


def styles_embed(locale: discord.Locale | str | None) -> discord.Embed:
    """One field per style listing what it offers, from the vocabulary."""
    embed = discord.Embed(title=i18n.text(locale, "styles.title"), colour=discord.Colour.pink())
    for style in VOCABULARY.styles:
        lines = []
        for attribute in VOCABULARY.attributes[1:]:
            label = i18n.attribute_label(locale, attribute, ATTRIBUTE_LABELS[attribute])
            offered = VOCABULARY.offered(style, attribute)
            if offered == VOCABULARY.values[attribute]:
                shown = i18n.text(locale, "styles.every", attribute=label)
            else:
                shown = ", ".join(i18n.choice_label(locale, v) for v in offered)
            lines.append(f"**{label}**: {shown}")
        embed.add_field(name=i18n.choice_label(locale, style), value="\n".join(lines), inline=True)
    return embed
