"""Answering interactions: deferring inside Discord's 3-second window, replacing the deferred reply,
and reporting errors.

Discord decides whether a deferred reply is ephemeral when it is deferred, and the first
follow-up replaces the "thinking" message with that visibility. So an error after a public
deferral deletes the public placeholder and sends the error ephemerally instead.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import discord

from bot.replies.errors import describe_error

log = logging.getLogger(__name__)

# Keys in Interaction.extras (a per-interaction dict discord.py provides for this).
_PUBLIC_PLACEHOLDER = "avatarbot_public_placeholder"


async def defer_thinking(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge now ("thinking..."); the real answer follows within the token's 15 minutes."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    interaction.extras[_PUBLIC_PLACEHOLDER] = not ephemeral


def deferred_publicly(interaction: discord.Interaction) -> bool:
    """Whether the public "thinking" placeholder is still showing."""
    return bool(interaction.extras.get(_PUBLIC_PLACEHOLDER))


def placeholder_answered(interaction: discord.Interaction) -> None:
    """Call after the public placeholder was replaced by a real answer."""
    interaction.extras[_PUBLIC_PLACEHOLDER] = False


async def reply_with_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally, whether or not the interaction was answered."""
    message = describe_error(error, interaction.locale)
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            # Autocomplete can only answer with choices: none; describe_error logged anything unexpected.
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
            return
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True)
            return
        if interaction.extras.get(_PUBLIC_PLACEHOLDER):
            await interaction.delete_original_response()
            placeholder_answered(interaction)
        await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException:
        # The token may have expired or Discord may be down; unexpected errors are already logged.
        log.warning("could not report an error to the user of interaction %s", interaction.id)


async def answer(
    interaction: discord.Interaction,
    *,
    content: Optional[str] = None,
    embeds: Optional[list[discord.Embed]] = None,
    files: Optional[list[discord.File]] = None,
    view: Optional[discord.ui.View] = None,
    private: bool = False,
) -> None:
    """Replace the deferred reply. A private answer to a public deferral goes to an ephemeral
    follow-up instead (the public placeholder is deleted), so nobody else sees it."""
    if private and deferred_publicly(interaction):
        await interaction.delete_original_response()
        placeholder_answered(interaction)
        kwargs: dict[str, Any] = {"ephemeral": True}
        if content is not None:
            kwargs["content"] = content
        if embeds:
            kwargs["embeds"] = embeds
        if files:
            kwargs["files"] = files
        if view is not None:
            kwargs["view"] = view
        await interaction.followup.send(**kwargs)
        return
    await interaction.edit_original_response(
        content=content, embeds=embeds or [], attachments=files or [], view=view
    )
    placeholder_answered(interaction)
