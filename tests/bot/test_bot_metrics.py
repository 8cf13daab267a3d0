"""The bot's metrics: interactions by command and outcome, time to acknowledge, refusals by reason,
deliveries by path with done -> delivered time, queue depth from the database."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select

from bot.app import build_bot
from bot.common.metrics import BotMetrics
from core.db.models import Job
from tests.bot.fake_discord import FakeDiscord, command, feed, settle
from tests.prometheus_samples import samples


async def test_interactions_acks_refusals_deliveries_and_queue_depth(
    fake_discord: FakeDiscord, bot_settings, bot_sessions, producer, bot_images, finish
) -> None:
    registry = CollectorRegistry()
    metrics = BotMetrics(registry)
    metrics.watch_queue_depth(bot_sessions, ["builtin", "stable-diffusion"])
    bot = build_bot(bot_settings, session_factory=bot_sessions, producer=producer, image_store=bot_images,
                    metrics=metrics, progress_every_s=3600, sweep_every_s=3600)
    await bot.login("offline-test-token")
    try:
        feed(bot, command("avatar", "create", {"style": "micah"}))
        await fake_discord.wait_for("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
        feed(bot, command("avatar", "show", {"id": 2**40}))
        await fake_discord.wait_for("POST", r"/webhooks/\d+/[^/]+")
        await settle()
        await asyncio.sleep(0.05)
        found = samples(registry)
        assert found[("avatarbot_queue_depth", (("backend", "builtin"),))] == 1
        assert found[("avatarbot_queue_depth", (("backend", "stable-diffusion"),))] == 0

        with bot_sessions() as session:
            job_id = session.scalars(select(Job.id)).one()
        finish(job_id)
        assert await bot.courier.handle_job(job_id) == "deliver"
    finally:
        await settle()
        await bot.close()

    found = samples(registry)
    assert found[("avatarbot_bot_interactions_total", (("command", "avatar create"), ("outcome", "ok")))] == 1
    assert found[("avatarbot_bot_interactions_total", (("command", "avatar show"), ("outcome", "refused")))] == 1
    assert found[("avatarbot_bot_refusals_total", (("reason", "NotFound"),))] == 1
    assert found[("avatarbot_bot_ack_seconds_count", ())] == 2
    assert found[("avatarbot_bot_deliveries_total", (("path", "edit"),))] == 1
    assert found[("avatarbot_bot_delivery_seconds_count", ())] == 1
    assert found[("avatarbot_queue_depth", (("backend", "builtin"),))] == 0
    text = generate_latest(registry).decode()
    assert str(bot.user.id if bot.user else 0) not in text  # no ids in labels
