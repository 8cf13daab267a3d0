"""Per-server settings (channels, review mode, quotas, styles, backends): what they hold, and how
a handler reads them. Every feature obeys them; /avatar-admin settings (bot.admin) changes them.

Stored as the `settings` JSON of the server's row (`GuildSettings.model_dump(mode="json")`).
"""

from __future__ import annotations

import typing
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core.db.repositories import get_guild_settings
from core.settings import Settings

ReviewMode = Literal["off", "flagged", "all"]
Visibility = Literal["public", "private"]

REVIEW_MODES: tuple[str, ...] = typing.get_args(ReviewMode)
VISIBILITIES: tuple[str, ...] = typing.get_args(Visibility)
# The generator backends a worker can run (from the Settings field, so there is one list).
BACKENDS: tuple[str, ...] = typing.get_args(Settings.model_fields["backend"].annotation)

MAX_CONCURRENT = 10
MAX_DAILY = 1000


class GuildSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    review_mode: ReviewMode = "flagged"
    concurrent_limit: int = Field(default=2, ge=1, le=MAX_CONCURRENT)
    daily_limit: int = Field(default=50, ge=0, le=MAX_DAILY)
    default_visibility: Visibility = "public"
    # Empty: every channel is allowed (except the blocked ones).
    allowed_channels: tuple[int, ...] = ()
    blocked_channels: tuple[int, ...] = ()
    # None: all of them.
    allowed_styles: Optional[tuple[str, ...]] = None
    allowed_backends: Optional[tuple[str, ...]] = None
    # Where results waiting for review are posted for the moderators (None: only /avatar-mod pending).
    review_channel: Optional[int] = None
    # The language of what the bot posts for moderators: the last admin's who saved the settings.
    moderator_locale: str = "en"

    def channel_allowed(self, channel_id: int) -> bool:
        if channel_id in self.blocked_channels:
            return False
        return not self.allowed_channels or channel_id in self.allowed_channels

    def style_allowed(self, style: str) -> bool:
        return self.allowed_styles is None or style in self.allowed_styles

    def holds_for_review(self, *, flagged: bool) -> bool:
        """Whether a finished result waits for a moderator before its owner sees it.

        A result the safety check flagged always waits (with review "off" nobody is pinged,
        but it is still only shown once a moderator approves it in /avatar-mod pending).
        """
        return flagged or self.review_mode == "all"


# Outside a server (direct messages) there are no server settings: these apply.
DIRECT_MESSAGE_SETTINGS = GuildSettings()


def guild_rules(session: Session, guild_id: Optional[int]) -> GuildSettings:
    """A server's settings (defaults where never configured; direct messages have their own)."""
    if guild_id is None:
        return DIRECT_MESSAGE_SETTINGS
    return GuildSettings.model_validate(get_guild_settings(session, guild_id))
