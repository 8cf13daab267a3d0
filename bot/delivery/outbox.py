"""Sending a message to whoever should see it, by the best way still open.

For a request's owner, in order:
1. the interaction's own reply (edit it, or a follow-up) while its token is valid. The token
   and the application id are enough, so this works after a restart too;
2. a post in the channel the request came from, mentioning them (public results only);
3. a direct message.
A way that fails (token expired early, message deleted, no access) falls through to the next.
The token is never logged: errors name the request, not the token.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

import discord

from bot.ui.cards import AvatarCard, avatar_files

log = logging.getLogger(__name__)

# Keep clear of the token's end: an upload started just before expiry would fail.
TOKEN_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class ReplySnapshot:
    """An interaction reply row, detached (the token is a secret: not in repr, never logged)."""

    request_id: str
    application_id: int
    token: Optional[str] = field(repr=False)
    expires_at: datetime
    message_id: Optional[int]
    ephemeral: bool
    user_id: int
    guild_id: Optional[int]
    channel_id: Optional[int]
    locale: str
    summary: str

    def usable(self, now: datetime) -> bool:
        return self.token is not None and now < self.expires_at - TOKEN_MARGIN

    def may_show(self, private: bool) -> bool:
        """A private result may go only into an ephemeral reply."""
        return self.ephemeral or not private


@dataclass
class Outgoing:
    """One message: text, an avatar's embed and picture, buttons."""

    content: Optional[str] = None
    embeds: list[discord.Embed] = field(default_factory=list)
    card: Optional[AvatarCard] = None  # its picture is attached
    extra_files: list[tuple[str, bytes]] = field(default_factory=list)
    view: Optional[discord.ui.View] = None
    mention: Optional[int] = None  # the one user this message may ping

    def files(self) -> list[discord.File]:
        files = []
        if self.card is not None:
            files.extend(avatar_files(self.card))
        files.extend(discord.File(io.BytesIO(data), filename=name) for name, data in self.extra_files)
        return files

    def allowed_mentions(self) -> discord.AllowedMentions:
        if self.mention is None:
            return discord.AllowedMentions.none()
        return discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(self.mention)])


class Outbox:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _webhook(self, reply: ReplySnapshot) -> discord.Webhook:
        # The same webhook discord.py builds for Interaction.followup, from the stored token.
        payload: Any = {"id": reply.application_id, "type": 3, "token": reply.token}
        return discord.Webhook.from_state(data=payload, state=self.client._connection)

    async def edit_reply(self, reply: ReplySnapshot, message: Outgoing) -> None:
        """Replace the reply's message (the original response unless it moved to a follow-up)."""
        target: Any = reply.message_id if reply.message_id is not None else "@original"
        await self._webhook(reply).edit_message(
            target,
            content=message.content,
            embeds=message.embeds,
            attachments=message.files(),
            view=message.view,
            allowed_mentions=message.allowed_mentions(),
        )

    async def edit_reply_text(self, reply: ReplySnapshot, content: str) -> None:
        target: Any = reply.message_id if reply.message_id is not None else "@original"
        quiet = discord.AllowedMentions.none()
        await self._webhook(reply).edit_message(target, content=content, allowed_mentions=quiet)

    async def follow_up(self, reply: ReplySnapshot, message: Outgoing) -> None:
        kwargs = self._send_kwargs(message)
        await self._webhook(reply).send(ephemeral=reply.ephemeral, wait=True, **kwargs)

    async def post(self, channel_id: int, message: Outgoing) -> discord.Message:
        channel = self.client.get_partial_messageable(channel_id)
        return await channel.send(**self._send_kwargs(message))

    async def direct(self, user_id: int, message: Outgoing) -> discord.Message:
        dm = await self.client.create_dm(discord.Object(user_id))
        return await dm.send(**self._send_kwargs(message))

    async def edit_post(self, channel_id: int, message_id: int, *, content: str) -> None:
        """Edit a message the bot posted with its own token (the moderators' copy), removing its buttons."""
        partial = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        await partial.edit(content=content, view=None, allowed_mentions=discord.AllowedMentions.none())

    async def to_owner(
        self,
        reply: Optional[ReplySnapshot],
        *,
        owner_id: int,
        channel_id: Optional[int],
        private: bool,
        message: Callable[[bool], Outgoing],
        edit_original: bool,
        now: datetime,
    ) -> str:
        """Send to a request's owner by the first way that works; returns which ("edit", "follow-up",
        "channel", "dm") or "nowhere". `message(in_reply)` builds it (a channel post mentions the owner)."""
        ways: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        if reply is not None and reply.usable(now) and reply.may_show(private):
            if edit_original:
                ways.append(("edit", lambda: self.edit_reply(reply, message(True))))
            else:
                ways.append(("follow-up", lambda: self.follow_up(reply, message(True))))
        if not private and channel_id is not None:
            ways.append(("channel", lambda: self.post(channel_id, message(False))))
        ways.append(("dm", lambda: self.direct(owner_id, message(False))))
        request = reply.request_id if reply is not None else "-"
        for name, send in ways:
            try:
                await send()
            except discord.HTTPException as exc:
                log.warning("could not reach the owner of request %s by %s: %s %s", request, name, exc.status, exc.text)
                continue
            return name
        return "nowhere"

    @staticmethod
    def _send_kwargs(message: Outgoing) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"allowed_mentions": message.allowed_mentions()}
        if message.content is not None:
            kwargs["content"] = message.content
        if message.embeds:
            kwargs["embeds"] = message.embeds
        files = message.files()
        if files:
            kwargs["files"] = files
        if message.view is not None:
            kwargs["view"] = message.view
        return kwargs
