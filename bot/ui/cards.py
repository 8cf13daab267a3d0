"""Plain snapshots of avatars for the async side, and the Discord messages built from them.

Database rows stay in the worker threads; handlers and delivery get `AvatarCard`s (with the
PNG bytes already read) and turn them into an embed, an attached file and buttons here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

import discord

from bot import i18n
from core.db.models import Job
from core.errors import InvalidSpec, NotFound
from core.export.encode import encode_animated_webp, encode_sticker, read_animation
from core.images import ImageStore
from core.spec import parse_spec

Locale = discord.Locale | str | None
EMBED_COLOUR = discord.Colour.pink()


@dataclass(frozen=True)
class AvatarCard:
    """What is shown of one avatar."""

    id: int
    owner_id: int
    guild_id: Optional[int]
    channel_id: Optional[int]
    request_id: str
    spec: dict[str, Any]
    seed: int
    kind: str
    status: str
    review_state: str
    visibility: str
    parent_id: Optional[int]
    mix_parent_id: Optional[int]
    error: Optional[str]
    model_version: Optional[str]
    finished_at: Optional[datetime]
    review_channel_id: Optional[int] = None
    review_message_id: Optional[int] = None
    # What was read from the photo of a photo avatar ({"read": ..., "confidence": ...}); never pixels.
    photo_reading: Optional[dict[str, Any]] = None
    png: Optional[bytes] = field(default=None, repr=False)
    # An animation's inline animated WebP and its sticker-sized APNG (made from the stored APNG).
    animation_webp: Optional[bytes] = field(default=None, repr=False)
    sticker: Optional[bytes] = field(default=None, repr=False)

    @property
    def private(self) -> bool:
        return self.visibility == "private"

    @property
    def filename(self) -> str:
        return f"avatar-{self.id}.webp" if self.animation_webp is not None else f"avatar-{self.id}.png"


def card_of(avatar: Job, store: Optional[ImageStore] = None, *, animation_files: bool = False) -> AvatarCard:
    """A snapshot of a row, with its picture read from the store when there is one (and a store);
    `animation_files`: an animation's WebP and sticker too (to send it; a sheet needs only the APNG)."""
    png = webp = sticker = None
    if store is not None and avatar.image_key is not None:
        try:  # one request to an object store, not a lookup and then a read
            png = store.read_bytes(avatar.image_key)
        except NotFound:
            png = None
        if png is not None and animation_files and avatar.kind == "animation":
            frames, durations = read_animation(png)
            webp, sticker = encode_animated_webp(frames, durations), encode_sticker(frames, durations)
    return AvatarCard(
        id=avatar.id,
        owner_id=avatar.owner_id,
        guild_id=avatar.guild_id,
        channel_id=avatar.channel_id,
        request_id=avatar.request_id,
        spec=dict(avatar.spec or {}),
        seed=int(avatar.seed),
        kind=str(avatar.kind),
        status=str(avatar.status),
        review_state=str(avatar.review_state),
        visibility=str(avatar.visibility),
        parent_id=avatar.parent_id,
        mix_parent_id=avatar.mix_parent_id,
        error=avatar.error,
        model_version=avatar.model_version,
        finished_at=avatar.finished_at,
        review_channel_id=avatar.review_channel_id,
        review_message_id=avatar.review_message_id,
        photo_reading=dict(avatar.photo_reading) if avatar.photo_reading is not None else None,
        png=png,
        animation_webp=webp,
        sticker=sticker,
    )


def describe_card(card: AvatarCard, locale: Locale) -> str:
    """What the avatar shows, in the viewer's language (its stored spec, less seed and count)."""
    data = {k: v for k, v in card.spec.items() if k not in ("seed", "count")}
    try:
        return i18n.describe_spec(parse_spec(data), locale)
    except InvalidSpec:  # a vocabulary value since removed: show the raw spec rather than fail
        return ", ".join(f"{k} {v}" for k, v in data.items() if v is not None)


def avatar_embed(card: AvatarCard, locale: Locale) -> discord.Embed:
    """Title, what it shows, where it comes from, seed and model; the picture as an attachment."""
    title = i18n.text(locale, "result.title", id=card.id)
    embed = discord.Embed(title=title, description=describe_card(card, locale), colour=EMBED_COLOUR)
    if card.kind != "create" and card.parent_id is not None:
        source = f"#{card.parent_id}" + (f" + #{card.mix_parent_id}" if card.mix_parent_id else "")
        how = i18n.text(locale, f"kind.{card.kind}")
        embed.add_field(name=i18n.text(locale, "result.from"), value=f"{how} {source}")
    if card.photo_reading is not None:
        embed.add_field(name=i18n.text(locale, "result.read_from_photo"), value=read_from_photo(card, locale))
    footer = f"seed {card.seed}"
    if card.model_version:
        footer += f" · model {card.model_version}"
    embed.set_footer(text=footer)
    if card.png is not None:
        embed.set_image(url=f"attachment://{card.filename}")
    return embed


def read_from_photo(card: AvatarCard, locale: Locale) -> str:
    """What was read from the photo, and that the photo itself is gone."""
    read = (card.photo_reading or {}).get("read") or {}
    return f"{i18n.describe_reading(read, locale)}\n{i18n.text(locale, 'photo.deleted')}"


def avatar_file(card: AvatarCard) -> Optional[discord.File]:
    """A fresh File for the picture (a File can be sent once; build one per attempt); an animation's
    is its animated WebP, which Discord plays inline."""
    if card.png is None:
        return None
    data = card.animation_webp if card.animation_webp is not None else card.png
    return discord.File(io.BytesIO(data), filename=card.filename, description=f"avatar {card.id}")


def avatar_files(card: AvatarCard) -> list[discord.File]:
    """The picture, and for an animation also the APNG sized for a server sticker (320 px, 512 KiB)."""
    files = [f for f in [avatar_file(card)] if f is not None]
    if card.sticker is not None:
        files.append(discord.File(io.BytesIO(card.sticker), filename=f"avatar-{card.id}-sticker.png"))
    return files


def png_file(data: bytes, filename: str) -> discord.File:
    return discord.File(io.BytesIO(data), filename=filename)
