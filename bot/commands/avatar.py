"""`/avatar`: what a community member does.

Each handler first checks its options (a mistake gets an ephemeral message at once), then
defers inside Discord's 3-second window and does the slow work in a thread (bot.actions).
"""

from __future__ import annotations

from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot import actions, i18n
from bot.commands.create import build_create_command
from bot.errors import Refusal
from bot.options import parse_create_options
from bot.services import BotServices
from bot.studio import CreateOrder
from bot.submit import submit_request
from bot.views import forget_me_view
from core.uploads import MAX_UPLOAD_BYTES
from core.vocabulary import ATTRIBUTE_LABELS, VOCABULARY

MIN_STRENGTH = 0.05
MAX_STRENGTH = 1.0
# A first look at /avatar photo's attachment before deferring; core.uploads checks the bytes.
PHOTO_TYPES = ("image/png", "image/jpeg", "image/webp")

Strength = app_commands.Range[float, MIN_STRENGTH, MAX_STRENGTH]
AvatarId = app_commands.Range[int, 1]


class AvatarCommands(app_commands.Group):
    def __init__(self, services: BotServices) -> None:
        super().__init__(name=locale_str("avatar"), description=locale_str("Make cute chibi avatars"))
        self.services = services
        self.add_command(build_create_command(self._create, with_details=services.backend_uses_text))

    async def _create(self, interaction: discord.Interaction, options: dict[str, Any]) -> None:
        request = parse_create_options(options)
        studio = self.services.need_studio()
        order = CreateOrder(
            owner_id=interaction.user.id,
            spec=request.spec,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            private=request.private,
        )
        await submit_request(
            interaction,
            self.services,
            lambda ticket, rid: studio.create(order, reply=ticket, request_id=rid),
            ephemeral=request.private,
        )

    @app_commands.command(name=locale_str("reroll"), description=locale_str("Make an avatar again with a new seed"))
    @app_commands.describe(avatar=locale_str("Avatar id (default: your last avatar)"))
    async def reroll(self, interaction: discord.Interaction, avatar: Optional[AvatarId] = None) -> None:
        await actions.reroll(interaction, self.services, avatar)

    @app_commands.command(name=locale_str("vary"), description=locale_str("Make a variation of an avatar"))
    @app_commands.describe(
        avatar=locale_str("Avatar id"), strength=locale_str("How far to move from the original (0.05 to 1)")
    )
    async def vary(
        self, interaction: discord.Interaction, avatar: AvatarId, strength: Optional[Strength] = None
    ) -> None:
        _check_strength(strength)
        await actions.vary(interaction, self.services, avatar, strength)

    @app_commands.command(name=locale_str("mix"), description=locale_str("Mix two avatars"))
    @app_commands.describe(a=locale_str("First avatar id"), b=locale_str("Second avatar id"))
    async def mix(self, interaction: discord.Interaction, a: AvatarId, b: AvatarId) -> None:
        if a == b:
            raise Refusal("error.mix_same")
        await actions.mix(interaction, self.services, a, b)

    @app_commands.command(name=locale_str("photo"), description=locale_str("Turn a photo into a chibi avatar"))
    @app_commands.describe(
        image=locale_str("Your photo (PNG, JPEG or WebP)"),
        strength=locale_str("How far to move from the original (0.05 to 1)"),
    )
    async def photo(
        self, interaction: discord.Interaction, image: discord.Attachment, strength: Optional[Strength] = None
    ) -> None:
        _check_strength(strength)
        content_type = (image.content_type or "").split(";")[0].strip().lower()
        if content_type not in PHOTO_TYPES or image.size > MAX_UPLOAD_BYTES:
            raise Refusal("error.photo", max_mib=MAX_UPLOAD_BYTES // (1024 * 1024))
        await actions.photo(interaction, self.services, image, strength)

    @app_commands.command(name=locale_str("history"), description=locale_str("Your avatars, one page at a time"))
    @app_commands.describe(page=locale_str("Page number"))
    async def history(
        self, interaction: discord.Interaction, page: Optional[app_commands.Range[int, 1]] = None
    ) -> None:
        await actions.history(interaction, self.services, (page or 1) - 1)

    @app_commands.command(name=locale_str("show"), description=locale_str("Show one avatar"))
    @app_commands.describe(id=locale_str("Avatar id"))
    async def show(self, interaction: discord.Interaction, id: AvatarId) -> None:
        await actions.show(interaction, self.services, id)

    @app_commands.command(name=locale_str("favourite"), description=locale_str("Save an avatar to your favourites"))
    @app_commands.describe(id=locale_str("Avatar id"))
    async def favourite(self, interaction: discord.Interaction, id: AvatarId) -> None:
        await actions.favourite(interaction, self.services, id)

    @app_commands.command(name=locale_str("delete"), description=locale_str("Delete one of your avatars"))
    @app_commands.describe(id=locale_str("Avatar id"))
    async def delete(self, interaction: discord.Interaction, id: AvatarId) -> None:
        await actions.delete(interaction, self.services, id)

    @app_commands.command(name=locale_str("forget-me"), description=locale_str("Delete all your avatars and data"))
    async def forget_me(self, interaction: discord.Interaction) -> None:
        # Nothing is deleted until the user presses the confirmation button.
        await interaction.response.send_message(
            i18n.text(interaction.locale, "forget.confirm"),
            view=forget_me_view(interaction.user.id, interaction.locale),
            ephemeral=True,
        )

    @app_commands.command(name=locale_str("styles"), description=locale_str("See the styles and what each offers"))
    async def styles(self, interaction: discord.Interaction) -> None:
        await actions.styles(interaction, self.services, styles_embed(interaction.locale))

    @app_commands.command(name=locale_str("queue"), description=locale_str("Your place in the queue and the wait"))
    async def queue(self, interaction: discord.Interaction) -> None:
        await actions.queue(interaction, self.services)


def _check_strength(strength: float | None) -> None:
    # Discord enforces the range in its client, but a payload can carry anything.
    if strength is not None and not MIN_STRENGTH <= strength <= MAX_STRENGTH:
        raise Refusal("error.strength", low=MIN_STRENGTH, high=MAX_STRENGTH)


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
