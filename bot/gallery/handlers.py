"""What the gallery's commands and buttons do: defer inside Discord's 3 s, do the database work in
a thread (bot.gallery.service), answer. A button under an old message does what the command does."""

from __future__ import annotations

import asyncio

import discord

from bot import i18n
from bot.common.services import BotServices
from bot.gallery.service import HIDDEN_STATES, gallery_of
from bot.replies.interaction import answer, defer_thinking
from bot.ui.buttons import result_view
from bot.ui.cards import AvatarCard, avatar_embed, avatar_files, png_file
from core.vocabulary import VOCABULARY


async def show(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    gallery = gallery_of(services)
    await defer_thinking(interaction, ephemeral=False)
    card = await asyncio.to_thread(gallery.show, interaction.user.id, avatar_id)
    await _show_card(interaction, card)


async def _show_card(interaction: discord.Interaction, card: AvatarCard) -> None:
    locale = interaction.locale
    files = avatar_files(card)
    note = None
    if card.review_state in HIDDEN_STATES:
        note = i18n.text(locale, f"show.{card.review_state}", id=card.id)
    await answer(
        interaction,
        content=note,
        embeds=[avatar_embed(card, locale)],
        files=files,
        view=result_view(card.id, locale, from_photo=card.photo_reading is not None),
        private=card.private or card.review_state in HIDDEN_STATES,
    )


async def favourite(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    """/avatar favourite, and the Save button."""
    gallery = gallery_of(services)
    await defer_thinking(interaction, ephemeral=True)
    added = await asyncio.to_thread(gallery.favourite, interaction.user.id, avatar_id)
    key = "saved" if added else "saved.already"
    await answer(interaction, content=i18n.text(interaction.locale, key, id=avatar_id))


async def delete(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    gallery = gallery_of(services)
    await defer_thinking(interaction, ephemeral=True)
    await asyncio.to_thread(gallery.delete, interaction.user.id, avatar_id)
    await answer(interaction, content=i18n.text(interaction.locale, "deleted", id=avatar_id))


async def delete_from_button(interaction: discord.Interaction, services: BotServices, avatar_id: int) -> None:
    """Delete (owner only), then replace the message the button is on."""
    gallery = gallery_of(services)
    await interaction.response.defer()  # a component: "update the message later"
    await asyncio.to_thread(gallery.delete, interaction.user.id, avatar_id)
    await interaction.edit_original_response(
        content=i18n.text(interaction.locale, "deleted", id=avatar_id), embeds=[], attachments=[], view=None
    )


async def styles(interaction: discord.Interaction, services: BotServices, embed: discord.Embed) -> None:
    """The styles and what each offers at once; then a sheet of real examples, where there are any."""
    await interaction.response.send_message(embed=embed, ephemeral=True)
    if services.session_factory is None or services.image_store is None:
        return
    gallery = gallery_of(services)
    locale = interaction.locale
    found = await asyncio.to_thread(gallery.styles, VOCABULARY.styles)
    files = []
    if found.sheet is not None:
        embed.set_image(url="attachment://styles.png")
        files.append(png_file(found.sheet, "styles.png"))
    if found.missing:
        names = ", ".join(i18n.choice_label(locale, s) for s in found.missing)
        key = "styles.none_yet" if len(found.missing) == len(VOCABULARY.styles) else "styles.missing"
        embed.set_footer(text=i18n.text(locale, key, styles=names))
    await interaction.edit_original_response(embed=embed, attachments=files)


async def queue(interaction: discord.Interaction, services: BotServices) -> None:
    gallery = gallery_of(services)
    await defer_thinking(interaction, ephemeral=True)
    locale = interaction.locale
    status = await asyncio.to_thread(gallery.queue, interaction.user.id)
    lines = []
    for entry in status.entries:
        if entry.place is None:
            lines.append(i18n.text(locale, "queue.running", id=entry.avatar_id))
        else:
            lines.append(i18n.text(locale, "queue.queued", id=entry.avatar_id, place=entry.place))
    if not lines:
        lines.append(i18n.text(locale, "queue.nothing"))
    lines.append(i18n.text(locale, "queue.workers", workers=status.workers))
    if status.eta_s is not None:
        key = "queue.eta" if status.entries else "queue.eta_new"
        lines.append(i18n.text(locale, key, seconds=max(1, round(status.eta_s))))
    elif status.workers:
        lines.append(i18n.text(locale, "queue.eta_unknown"))
    await answer(interaction, content="\n".join(lines))


# What the buttons under an avatar do for the gallery.
BUTTON_ACTIONS = {"save": favourite, "delete": delete_from_button}
