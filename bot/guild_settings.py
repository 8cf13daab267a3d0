"""Per-server settings: what they hold, and how `/avatar-admin settings` options change them.

Stored as the `settings` JSON of the server's row (`GuildSettings.model_dump(mode="json")`).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import Refusal
from core.settings import Settings
from core.vocabulary import VOCABULARY

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


class SettingsChange(BaseModel):
    """The options an admin gave; None means 'leave as it is'."""

    model_config = ConfigDict(frozen=True)

    review_mode: Optional[ReviewMode] = None
    concurrent_limit: Optional[int] = Field(default=None, ge=1, le=MAX_CONCURRENT)
    daily_limit: Optional[int] = Field(default=None, ge=0, le=MAX_DAILY)
    default_visibility: Optional[Visibility] = None
    allow_channel: Optional[int] = None
    block_channel: Optional[int] = None
    review_channel: Optional[int] = None
    # "all" lifts the restriction; a tuple names at least one.
    allowed_styles: Union[tuple[str, ...], Literal["all"], None] = None
    allowed_backends: Union[tuple[str, ...], Literal["all"], None] = None

    def is_empty(self) -> bool:
        return self == SettingsChange()


def _parse_names(raw: str, allowed: tuple[str, ...], error_key: str) -> Union[tuple[str, ...], Literal["all"]]:
    """'a, b' -> ('a', 'b') checked against `allowed` (full-width commas too); 'all' stays 'all'."""
    names = [n.strip().lower() for n in raw.replace("，", ",").split(",") if n.strip()]
    if names == ["all"] or not names:
        return "all"
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise Refusal(error_key, names=", ".join(unknown), allowed=", ".join(allowed))
    return tuple(n for n in allowed if n in names)


def parse_settings_change(options: Mapping[str, Any]) -> SettingsChange:
    """Options of /avatar-admin settings (channels as ids) -> a validated change."""
    passed_as_is = (
        "review_mode", "concurrent_limit", "daily_limit", "allow_channel", "block_channel", "review_channel"
    )
    values: dict[str, Any] = {key: options.get(key) for key in passed_as_is}
    values["default_visibility"] = options.get("visibility")
    if values["allow_channel"] is not None and values["allow_channel"] == values["block_channel"]:
        raise Refusal("error.same_channel")
    styles = options.get("allowed_styles")
    if styles is not None:
        values["allowed_styles"] = _parse_names(styles, VOCABULARY.styles, "error.unknown_styles")
    backends = options.get("allowed_backends")
    if backends is not None:
        values["allowed_backends"] = _parse_names(backends, BACKENDS, "error.unknown_backends")
    return SettingsChange(**values)


def apply_change(current: GuildSettings, change: SettingsChange) -> GuildSettings:
    updates: dict[str, Any] = {
        key: getattr(change, key)
        for key in ("review_mode", "concurrent_limit", "daily_limit", "default_visibility", "review_channel")
        if getattr(change, key) is not None
    }
    allowed, blocked = set(current.allowed_channels), set(current.blocked_channels)
    if change.allow_channel is not None:
        blocked.discard(change.allow_channel)
        allowed.add(change.allow_channel)
    if change.block_channel is not None:
        allowed.discard(change.block_channel)
        blocked.add(change.block_channel)
    updates["allowed_channels"] = tuple(sorted(allowed))
    updates["blocked_channels"] = tuple(sorted(blocked))
    for key in ("allowed_styles", "allowed_backends"):
        value = getattr(change, key)
        if value is not None:
            updates[key] = None if value == "all" else value
    return GuildSettings.model_validate({**current.model_dump(), **updates})
