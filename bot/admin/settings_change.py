"""How `/avatar-admin settings` options change a server's settings: parsed and checked into a
SettingsChange, then applied to the current GuildSettings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from bot.common.guild_settings import BACKENDS, MAX_CONCURRENT, MAX_DAILY, GuildSettings, ReviewMode, Visibility
from bot.replies.errors import Refusal
from core.vocabulary import VOCABULARY


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
