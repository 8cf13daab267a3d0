"""Per-server settings: validating /avatar-admin options and applying them."""

from __future__ import annotations

import pytest

from bot.admin.settings_change import apply_change, parse_settings_change
from bot.common.guild_settings import BACKENDS, GuildSettings
from bot.replies.errors import Refusal


def test_defaults_allow_everything() -> None:
    settings = GuildSettings()
    assert settings.channel_allowed(1) and settings.style_allowed("micah")


def test_styles_are_checked_and_kept_in_vocabulary_order() -> None:
    change = parse_settings_change({"allowed_styles": "Micah， adventurer"})
    assert change.allowed_styles == ("adventurer", "micah")
    updated = apply_change(GuildSettings(), change)
    assert updated.style_allowed("micah") and not updated.style_allowed("lorelei")
    assert apply_change(updated, parse_settings_change({"allowed_styles": "all"})).allowed_styles is None


def test_unknown_names_are_refused_with_the_choices() -> None:
    with pytest.raises(Refusal, match=r"Unknown style\(s\): cubism\. Choose from: adventurer"):
        parse_settings_change({"allowed_styles": "micah, cubism"})
    with pytest.raises(Refusal, match="Unknown generator"):
        parse_settings_change({"allowed_backends": "dall-e"})
    assert parse_settings_change({"allowed_backends": ",".join(BACKENDS)}).allowed_backends == BACKENDS


def test_allowing_and_blocking_channels() -> None:
    settings = apply_change(GuildSettings(), parse_settings_change({"allow_channel": 10}))
    assert settings.channel_allowed(10) and not settings.channel_allowed(11)
    settings = apply_change(settings, parse_settings_change({"block_channel": 10}))
    assert settings.allowed_channels == () and settings.blocked_channels == (10,)
    assert not settings.channel_allowed(10) and settings.channel_allowed(11)
    with pytest.raises(Refusal, match="allowed and blocked at once"):
        parse_settings_change({"allow_channel": 5, "block_channel": 5})


def test_limits_and_modes_change_only_what_was_given() -> None:
    before = GuildSettings(daily_limit=10)
    after = apply_change(before, parse_settings_change({"review_mode": "all", "visibility": "private"}))
    assert (after.review_mode, after.default_visibility, after.daily_limit) == ("all", "private", 10)
    assert parse_settings_change({}).is_empty()


def test_stored_json_round_trips() -> None:
    settings = apply_change(GuildSettings(), parse_settings_change({"allowed_styles": "micah", "allow_channel": 3}))
    assert GuildSettings.model_validate(settings.model_dump(mode="json")) == settings
