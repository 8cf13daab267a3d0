"""Sharding: the bot is an AutoShardedClient running the shards its settings name, and with several
bot processes on one database each delivers its own guilds' results at once and the others' only
once they are late (bot.delivery.routing). The worker's part is played on the database."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.app import AvatarBot, run_until_stopped
from bot.delivery.routing import DeliveryRoute
from core.db.models import utcnow
from core.settings import Settings
from core.shards import ShardPlan
from tests.bot.conftest import BotStarter
from tests.bot.fake_discord import MEMBER_ID, FakeDiscord, command, feed
from tests.bot.guilds import guild_on_shard, in_guild
from tests.bot.jobs import job, jobs
from tests.bot.test_delivery import answered

ShardBot = Callable[..., Awaitable[AvatarBot]]


@pytest.fixture
def shard_bot(start_bot: BotStarter, bot_settings: Settings) -> ShardBot:
    """Bots on one database, each with its own shard settings (as separate processes would be)."""

    async def start(shard_ids: str | None, *, shard_count: int = 2, takeover_s: float = 60.0) -> AvatarBot:
        settings = Settings(
            **bot_settings.model_dump(exclude={"shard_count", "shard_ids", "delivery_takeover_s"}),
            shard_count=shard_count,
            shard_ids=shard_ids,
            delivery_takeover_s=takeover_s,
        )
        return await start_bot(settings=settings)

    return start


async def _create_in(bot: AvatarBot, fake: FakeDiscord, sessions, guild_id: int | None) -> tuple[dict[str, Any], int]:
    before = {j.id for j in jobs(sessions)}
    # A new member each time: the per-member quotas stay out of the way.
    user_id = MEMBER_ID + 1000 + len(before)
    payload = command("avatar", "create", {"style": "micah"}, in_guild=guild_id is not None, user_id=user_id)
    if guild_id is not None:
        in_guild(payload, guild_id)
    seen = len(fake.calls)
    feed(bot, payload)
    await answered(fake, payload["token"], seen)
    [job_id] = [j.id for j in jobs(sessions) if j.id not in before]
    return payload, job_id


def _pictures(fake: FakeDiscord, token: str) -> int:
    return len([c for c in fake.calls if c.files and token in c.path])


async def test_the_bot_runs_the_shards_its_settings_name(shard_bot: ShardBot) -> None:
    bot = await shard_bot("1,3", shard_count=4)
    assert isinstance(bot, discord.AutoShardedClient)
    assert bot.shard_count == 4 and bot.shard_ids == [1, 3]
    assert bot.courier is not None and bot.courier.store.route == DeliveryRoute(ShardPlan(4, (1, 3)), 60.0)


async def test_each_process_delivers_its_own_guilds_at_once(
    shard_bot: ShardBot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    zero, one = await shard_bot("0"), await shard_bot("1")
    made = {}
    for shard, bot in ((0, zero), (1, one)):
        for n in range(2):
            payload, job_id = await _create_in(bot, fake_discord, bot_sessions, guild_on_shard(shard, 2, n))
            made[job_id] = (shard, payload["token"])
    for job_id in made:
        finish(job_id)

    # Both hear of every job; each delivers its own shard's and leaves the others alone.
    for job_id, (shard, token) in made.items():
        other, owner = (one, zero) if shard == 0 else (zero, one)
        assert await other.courier.handle_job(job_id) is None
        assert _pictures(fake_discord, token) == 0
        assert await owner.courier.handle_job(job_id) == "deliver"
        assert _pictures(fake_discord, token) == 1
    assert await zero.courier.sweep() == 0 and await one.courier.sweep() == 0


async def test_a_late_job_of_another_process_is_taken_over_once(
    shard_bot: ShardBot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    zero, one = await shard_bot("0", takeover_s=60), await shard_bot("1", takeover_s=60)
    payload, job_id = await _create_in(one, fake_discord, bot_sessions, guild_on_shard(1, 2))
    finish(job_id)
    # Process "one" is down: "zero" leaves the job alone for 60 s after it finished ...
    assert await zero.courier.sweep() == 0
    finished_at = job(bot_sessions, job_id).finished_at
    zero.courier.clock = lambda: finished_at + timedelta(seconds=59)
    assert await zero.courier.sweep() == 0 and await zero.courier.handle_job(job_id) is None
    # ... and then its sweep delivers it, once, with the interaction's own token.
    zero.courier.clock = lambda: finished_at + timedelta(seconds=61)
    assert await zero.courier.sweep() == 1
    await zero.courier.idle()
    assert _pictures(fake_discord, payload["token"]) == 1
    # The owner coming back finds it done.
    assert await one.courier.handle_job(job_id) is None and await one.courier.sweep() == 0
    assert _pictures(fake_discord, payload["token"]) == 1


async def test_direct_messages_go_to_shard_zeros_process(
    shard_bot: ShardBot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    zero, one = await shard_bot("0"), await shard_bot("1")
    payload, job_id = await _create_in(zero, fake_discord, bot_sessions, None)
    finish(job_id)
    assert await one.courier.sweep() == 0 and await one.courier.handle_job(job_id) is None
    assert await zero.courier.handle_job(job_id) == "deliver"
    assert _pictures(fake_discord, payload["token"]) == 1


async def test_progress_lines_are_edited_by_the_guilds_process_only(
    shard_bot: ShardBot, fake_discord: FakeDiscord, bot_sessions
) -> None:
    zero, one = await shard_bot("0"), await shard_bot("1")
    mine, _ = await _create_in(zero, fake_discord, bot_sessions, guild_on_shard(0, 2))
    theirs, _ = await _create_in(one, fake_discord, bot_sessions, guild_on_shard(1, 2))
    zero.courier._progress_text.clear()
    zero.courier._progress_at.clear()
    seen = len(fake_discord.calls)
    await zero.courier.progress_tick()
    edited = [c.path for c in fake_discord.calls[seen:] if c.method == "PATCH"]
    assert any(mine["token"] in p for p in edited)
    assert not any(theirs["token"] in p for p in edited)


def test_the_route_delivers_own_guilds_now_and_others_after_the_takeover() -> None:
    now = utcnow()
    route = DeliveryRoute(ShardPlan(count=2, ids=(0,)), takeover_s=60)
    mine, theirs = guild_on_shard(0, 2), guild_on_shard(1, 2)
    assert route.delivers(mine, now, now=now) and route.delivers(None, now, now=now)
    assert not route.delivers(theirs, now - timedelta(seconds=59), now=now)
    assert route.delivers(theirs, now - timedelta(seconds=60), now=now)
    assert not route.delivers(theirs, None, now=now)
    everything = DeliveryRoute(ShardPlan(), takeover_s=60)
    assert everything.delivers(theirs, now, now=now) and everything.takeover_before(now) is None


async def test_sigterm_closes_the_bot_cleanly(shard_bot: ShardBot, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await shard_bot(None)
    assert bot.courier is not None
    closed_courier = []
    original_close = bot.courier.close

    async def close_courier() -> None:
        closed_courier.append(True)
        await original_close()

    async def start(token: str) -> None:  # the gateway: runs until the bot is closed
        os.kill(os.getpid(), signal.SIGTERM)
        while not bot.is_closed():
            await asyncio.sleep(0.01)

    monkeypatch.setattr(bot.courier, "close", close_courier)
    monkeypatch.setattr(bot, "start", start)
    await asyncio.wait_for(run_until_stopped(bot, "offline-test-token"), 10)
    assert bot.is_closed() and closed_courier == [True]
    # The handlers are gone again: a SIGTERM now would end the test run, as it should.
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.default_int_handler, None)
