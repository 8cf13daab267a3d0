"""Shard settings: parsing AVATARBOT_SHARD_IDS, checking it against AVATARBOT_SHARD_COUNT, and which
shard a guild is on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from avatarbot.cli import main
from core.settings import Settings
from core.shards import ShardPlan, ShardSettingError, parse_shard_ids, shard_of, shard_plan


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("0", (0,)),
        ("0,1", (0, 1)),
        ("0-3", (0, 1, 2, 3)),
        (" 3, 0-1 ,1", (0, 1, 3)),
        ("2-2", (2,)),
        ("0-1,5-6", (0, 1, 5, 6)),
    ],
)
def test_shard_ids_are_lists_and_ranges(text: str, ids: tuple[int, ...]) -> None:
    assert parse_shard_ids(text) == ids


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a", "'a' is not a shard id or a range"),
        ("0,,1", "has an empty item"),
        ("1-", "'1-' is not a shard id or a range"),
        ("0-1-2", "'0-1-2' is not a shard id or a range"),
        ("3-1", "runs backwards; write '1-3'"),
        ("-1", "is not a shard id or a range"),
        ("0-99999999", "larger than any shard count"),
        ("1.5", "'1.5' is not a shard id"),
    ],
)
def test_bad_shard_ids_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ShardSettingError, match="AVATARBOT_SHARD_IDS") as caught:
        parse_shard_ids(text)
    assert says in str(caught.value)


def test_the_plan_checks_ids_against_the_count() -> None:
    assert shard_plan(None, None) == ShardPlan()
    assert shard_plan(4, None) == ShardPlan(count=4)
    assert shard_plan(4, "") == ShardPlan(count=4)  # an empty variable (compose's VAR=) means unset
    assert shard_plan(4, "2-3") == ShardPlan(count=4, ids=(2, 3))
    outside = r"shard id\(s\) 4,5 outside AVATARBOT_SHARD_COUNT=4 \(ids run from 0 to 3\)"
    with pytest.raises(ShardSettingError, match=outside):
        shard_plan(4, "3-5")
    with pytest.raises(ShardSettingError, match="needs AVATARBOT_SHARD_COUNT"):
        shard_plan(None, "0")
    with pytest.raises(ShardSettingError, match="between 1 and"):
        shard_plan(0, None)


def test_settings_read_and_check_the_shard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARBOT_SHARD_COUNT", "8")
    monkeypatch.setenv("AVATARBOT_SHARD_IDS", "4-7")
    monkeypatch.setenv("AVATARBOT_DELIVERY_TAKEOVER_S", "15")
    settings = Settings()
    assert settings.shards == ShardPlan(count=8, ids=(4, 5, 6, 7))
    assert settings.delivery_takeover_s == 15
    assert settings.shards.describe() == "shards 4,5,6,7 of 8"
    monkeypatch.setenv("AVATARBOT_SHARD_IDS", "4-8")
    with pytest.raises(ValidationError, match="shard id\\(s\\) 8 outside"):
        Settings()


def test_defaults_run_every_shard() -> None:
    settings = Settings()
    assert settings.shards == ShardPlan() and settings.shards.runs_all
    assert settings.delivery_takeover_s == 60.0
    assert settings.shards.owns(123) and settings.shards.owns(None)


def test_the_cli_names_the_bad_shard_setting(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("AVATARBOT_SHARD_COUNT", "2")
    monkeypatch.setenv("AVATARBOT_SHARD_IDS", "0,x")
    assert main(["bot"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("avatarbot: bad settings: AVATARBOT_SHARD_IDS '0,x': 'x' is not a shard id or a range")
    assert "Traceback" not in error and "Value error" not in error


def test_a_guild_is_on_the_shard_discord_computes() -> None:
    # Discord's formula: (guild_id >> 22) % num_shards; direct messages are on shard 0.
    guild = 41771983423143937  # Discord's documentation example id
    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 4) == (guild >> 22) % 4
    assert shard_of(None, 4) == 0
    plan = ShardPlan(count=2, ids=(1,))
    on_one = next(g << 22 for g in range(1, 10) if g % 2 == 1)
    assert plan.owns(on_one) and not plan.owns(on_one + (1 << 22))
    assert not plan.owns(None)  # direct messages go to shard 0's process
    assert ShardPlan(count=2, ids=(0,)).owns(None)
