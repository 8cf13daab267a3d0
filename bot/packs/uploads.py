"""Adding a pack to a server: its expressions as guild emojis, or one as a guild sticker.

Checked before anything is sent: the member's and the bot's Create Expressions (or Manage
Expressions) permission, the server's free slots (they depend on its boost tier) and names already
taken. Then the uploads go one by one; if Discord refuses one, the rest are not tried and the answer
says which were added and why the next failed, so nothing is half-uploaded without being said.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot import i18n
from bot.replies.errors import Refusal

# Discord's slots per boost tier (0-3), as discord.py's Guild.emoji_limit / sticker_limit know them.
EMOJI_SLOTS = (50, 100, 150, 250)
STICKER_SLOTS = (5, 15, 30, 60)


@dataclass(frozen=True)
class Upload:
    """One picture to add: its name on the server, its expression and its PNG bytes."""

    name: str
    expression: str
    png: bytes


def can_create_expressions(permissions: discord.Permissions) -> bool:
    return bool(permissions.create_expressions or permissions.manage_expressions)


def check_permissions(interaction: discord.Interaction) -> None:
    """The member's permission first (they asked), then the bot's."""
    if interaction.guild_id is None:
        raise discord.app_commands.NoPrivateMessage()
    if not can_create_expressions(interaction.permissions):
        raise Refusal("pack.member_permission")
    if not can_create_expressions(interaction.app_permissions):
        raise Refusal("pack.bot_permission")


def discord_reason(error: discord.HTTPException, locale: discord.Locale | str | None) -> str:
    """Why Discord refused an upload, as a clause ("the server has reached its maximum number of emojis")."""
    key = f"discord.{error.code}"
    if key in i18n.reply_keys():
        return i18n.text(locale, key)
    return i18n.text(locale, "discord.other", message=error.text or error.status)


async def add_emojis(
    interaction: discord.Interaction, uploads: Sequence[Upload], locale: discord.Locale | str | None
) -> str:
    """Upload every picture as a guild emoji; returns what happened, in a sentence."""
    check_permissions(interaction)
    guild = await interaction.client.fetch_guild(int(interaction.guild_id or 0), with_counts=False)
    existing = await guild.fetch_emojis()  # the bot has no expressions intent, so nothing is cached
    taken = {emoji.name for emoji in existing}
    clashes = [u.name for u in uploads if u.name in taken]
    if clashes:
        raise Refusal("pack.names_taken", names=", ".join(clashes))
    limit = guild.emoji_limit
    used = sum(1 for emoji in existing if not emoji.animated)  # animated emojis have their own slots
    if limit - used < len(uploads):
        raise Refusal(
            "pack.emoji_slots", free=max(limit - used, 0), limit=limit, tier=guild.premium_tier, needed=len(uploads)
        )
    added: list[str] = []
    for upload in uploads:
        try:
            await guild.create_custom_emoji(name=upload.name, image=upload.png, reason="avatarbot expression pack")
        except discord.HTTPException as exc:
            reason = discord_reason(exc, locale)
            if not added:
                return i18n.text(locale, "pack.emojis_none", failed=upload.name, reason=reason)
            return i18n.text(
                locale,
                "pack.emojis_partly",
                added=len(added),
                count=len(uploads),
                names=", ".join(added),
                failed=upload.name,
                reason=reason,
            )
        added.append(upload.name)
    return i18n.text(locale, "pack.emojis_added", count=len(added), names=", ".join(f":{n}:" for n in added))


async def add_sticker(
    interaction: discord.Interaction, upload: Upload, tag: str, locale: discord.Locale | str | None
) -> str:
    """Upload one picture as a guild sticker (320x320 PNG); returns what happened, in a sentence."""
    check_permissions(interaction)
    guild = await interaction.client.fetch_guild(int(interaction.guild_id or 0), with_counts=False)
    existing = await guild.fetch_stickers()
    if any(sticker.name == upload.name for sticker in existing):
        raise Refusal("pack.sticker_name_taken", name=upload.name)
    if len(existing) >= guild.sticker_limit:
        raise Refusal("pack.sticker_slots", used=len(existing), limit=guild.sticker_limit, tier=guild.premium_tier)
    try:
        await guild.create_sticker(
            name=upload.name,
            description=upload.name,
            emoji=tag,
            file=discord.File(io.BytesIO(upload.png), filename=f"{upload.expression}.png"),
            reason="avatarbot expression pack",
        )
    except discord.HTTPException as exc:
        return i18n.text(locale, "pack.sticker_failed", name=upload.name, reason=discord_reason(exc, locale))
    return i18n.text(locale, "pack.sticker_added", name=upload.name)
