"""/avatar create end to end on the bot's side: interaction -> job rows -> broker messages -> reply."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.app import build_bot
from core.db.models import Job, JobStatus
from core.db.repositories import set_banned, update_guild_settings
from tests.bot.fake_discord import (
    APPLICATION_ID,
    CHANNEL_ID,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    MEMBER_ID,
    FakeDiscord,
    command,
    feed,
    settle,
)

CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = rf"/webhooks/{APPLICATION_ID}/[^/]+"
ORIGINAL = rf"/webhooks/{APPLICATION_ID}/[^/]+/messages/@original"
DISCORD_ACK_LIMIT_S = 3.0


def _jobs(sessions) -> list[Job]:
    with sessions() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


async def test_create_defers_at_once_then_queues_the_jobs_and_says_where_they_are(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, sent_messages
) -> None:
    started = time.monotonic()
    feed(offline_bot, command("avatar", "create", {"style": "adventurer", "hair": "long", "count": 2, "seed": 41}))
    ack = await fake_discord.wait_for("POST", CALLBACK)
    assert ack.callback_type == DEFERRED_CHANNEL_MESSAGE and not ack.flags & EPHEMERAL
    assert ack.at - started < DISCORD_ACK_LIMIT_S

    edit = await fake_discord.wait_for("PATCH", ORIGINAL)
    assert edit.json["content"].startswith("Making 2 avatar(s): style adventurer, hair long, seed 41.")
    assert "Place in the queue: 1." in edit.json["content"]
    assert "No generator is online" in edit.json["content"]

    jobs = _jobs(bot_sessions)
    assert [j.seed for j in jobs] == [41, 42] and {j.status for j in jobs} == {JobStatus.QUEUED}
    assert {(j.owner_id, j.guild_id, j.channel_id) for j in jobs} == {(MEMBER_ID, GUILD_ID, CHANNEL_ID)}
    assert len({j.request_id for j in jobs}) == 1 and all(j.enqueued_at is not None for j in jobs)
    assert sent_messages() == 2


async def test_a_private_create_is_deferred_ephemerally_and_kept_private(
    offline_bot, fake_discord: FakeDiscord, bot_sessions
) -> None:
    feed(offline_bot, command("avatar", "create", {"style": "micah", "private": True}, locale="zh-CN"))
    ack = await fake_discord.wait_for("POST", CALLBACK)
    assert ack.callback_type == DEFERRED_CHANNEL_MESSAGE and ack.flags & EPHEMERAL
    edit = await fake_discord.wait_for("PATCH", ORIGINAL)
    assert edit.json["content"].startswith("正在生成 1 个头像：风格 米卡。")
    assert [j.visibility for j in _jobs(bot_sessions)] == ["private"]


async def test_a_refusal_after_a_public_deferral_is_shown_only_to_the_user(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, sent_messages
) -> None:
    with bot_sessions() as session:
        set_banned(session, MEMBER_ID, True, "spam")
        session.commit()
    feed(offline_bot, command("avatar", "create", {"style": "adventurer"}))
    ack = await fake_discord.wait_for("POST", CALLBACK)
    assert ack.callback_type == DEFERRED_CHANNEL_MESSAGE and not ack.flags & EPHEMERAL
    deleted = await fake_discord.wait_for("DELETE", ORIGINAL)
    followup = await fake_discord.wait_for("POST", FOLLOWUP)
    assert deleted.at <= followup.at
    assert followup.flags & EPHEMERAL and "banned" in followup.content
    assert _jobs(bot_sessions) == [] and sent_messages() == 0


async def test_the_daily_limit_says_when_to_try_again(offline_bot, fake_discord: FakeDiscord, bot_sessions) -> None:
    with bot_sessions() as session:
        update_guild_settings(session, GUILD_ID, {"daily_limit": 1})
        session.commit()
    feed(offline_bot, command("avatar", "create", {"count": 2}))
    followup = await fake_discord.wait_for("POST", FOLLOWUP)
    assert followup.flags & EPHEMERAL
    assert "You have made 0 of your 1 avatars for today" in followup.content
    assert "<t:" in followup.content and ":R>" in followup.content


async def test_without_a_database_create_says_it_is_not_available(
    fake_discord: FakeDiscord, bot_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = build_bot(bot_settings)
    await bot.login("offline-test-token")
    try:
        feed(bot, command("avatar", "create", {"style": "micah"}))
        reply = await fake_discord.wait_for("POST", CALLBACK)
        assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
        assert reply.content.startswith("This bot was started without its database")
        await settle()
    finally:
        await bot.close()
