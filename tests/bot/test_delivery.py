"""Delivery: a finished job reaches its owner once, by the best way still open.

The worker's part is played on the database (tests.bot.jobs.finish_job); the bot's courier is
driven directly, so each step is checked as it happens.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import update

from core.db.models import InteractionReply, utcnow
from core.db.repositories import claim_jobs, update_guild_settings
from tests.bot.fake_discord import (
    APPLICATION_ID,
    CHANNEL_ID,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    MEMBER_ID,
    FakeDiscord,
    command,
    feed,
)
from tests.bot.jobs import job, jobs, moved_to_follow_up, reply_when

CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = rf"/webhooks/{APPLICATION_ID}/[^/]+"
ORIGINAL = rf"/webhooks/{APPLICATION_ID}/[^/]+/messages/@original"
CHANNEL_POST = rf"/channels/{CHANNEL_ID}/messages"


async def _create(bot, fake: FakeDiscord, sessions, options=None, **kwargs) -> tuple[dict, list[int]]:
    """Run /avatar create and wait for its first answer; returns the payload and the new job ids."""
    before = {j.id for j in jobs(sessions)}
    seen = len(fake.calls)
    payload = command("avatar", "create", options or {"style": "micah"}, **kwargs)
    feed(bot, payload)
    await answered(fake, payload["token"], seen)
    return payload, [j.id for j in jobs(sessions) if j.id not in before]


async def answered(fake: FakeDiscord, token: str, after: int, timeout: float = 10.0):
    """The first answer sent with an interaction's token (an edit of the reply, or a follow-up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for call in fake.calls[after:]:
            if call.path.startswith(f"/webhooks/{APPLICATION_ID}/{token}") and call.method in ("PATCH", "POST"):
                return call
        await asyncio.sleep(0.01)
    raise AssertionError(f"no answer with the interaction's token; calls: {[c.path for c in fake.calls[after:]]}")


def _buttons(call) -> list[str]:
    return [b["custom_id"] for row in call.json.get("components", []) for b in row["components"]]


async def test_a_finished_avatar_replaces_the_reply_with_picture_and_buttons_once(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, bot_images, finish
) -> None:
    payload, [job_id] = await _create(offline_bot, fake_discord, bot_sessions)
    finish(job_id)
    seen = len(fake_discord.calls)

    assert await offline_bot.courier.handle_job(job_id) == "deliver"

    [edit] = [c for c in fake_discord.calls[seen:] if c.matches("PATCH", ORIGINAL)]
    assert payload["token"] in edit.path
    assert edit.json["content"] == f"Avatar #{job_id} is ready."
    [embed] = edit.json["embeds"]
    assert embed["title"] == f"Avatar #{job_id}" and embed["image"]["url"] == f"attachment://avatar-{job_id}.png"
    assert "style micah" in embed["description"]
    stored = bot_images.read_bytes(job(bot_sessions, job_id).image_key)
    assert edit.files == ((f"avatar-{job_id}.png", stored),)
    assert _buttons(edit) == [
        f"avatar:{a}:{job_id}" for a in ("reroll", "vary", "change", "save", "delete", "report", "export")
    ]
    assert job(bot_sessions, job_id).delivered_at is not None

    # A second notification, a sweep, another handler: nothing more is sent.
    calls = len(fake_discord.calls)
    assert await offline_bot.courier.handle_job(job_id) is None
    assert await offline_bot.courier.sweep() == 0
    await offline_bot.courier.idle()
    assert len(fake_discord.calls) == calls


async def test_racing_handlers_of_two_bots_deliver_once(
    start_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    first, second = await start_bot(), await start_bot()  # e.g. an old process not yet stopped
    _, [job_id] = await _create(first, fake_discord, bot_sessions)
    finish(job_id)
    seen = len(fake_discord.calls)
    results = await asyncio.gather(*(bot.courier.handle_job(job_id) for bot in (first, second, first, second)))
    assert results.count("deliver") == 1 and results.count(None) == 3
    assert len([c for c in fake_discord.calls[seen:] if c.files]) == 1


async def test_the_other_images_of_a_request_come_as_follow_ups(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    payload, job_ids = await _create(offline_bot, fake_discord, bot_sessions, {"count": 2})
    for job_id in job_ids:
        finish(job_id)
    seen = len(fake_discord.calls)
    for job_id in reversed(job_ids):  # finishing order decides which replaces the reply
        await offline_bot.courier.handle_job(job_id)
    sent = [c for c in fake_discord.calls[seen:] if c.files]
    assert [c.method for c in sent] == ["PATCH", "POST"]
    assert all(payload["token"] in c.path for c in sent)
    assert sent[0].files[0][0] == f"avatar-{job_ids[1]}.png" and sent[1].files[0][0] == f"avatar-{job_ids[0]}.png"
    assert not sent[1].flags & EPHEMERAL


async def test_a_failed_job_is_explained(offline_bot, fake_discord: FakeDiscord, bot_sessions, finish) -> None:
    _, [job_id] = await _create(offline_bot, fake_discord, bot_sessions, locale="zh-CN")
    finish(job_id, error="the render took longer than 300 s and was stopped")
    seen = len(fake_discord.calls)
    assert await offline_bot.courier.handle_job(job_id) == "fail"
    edit = await fake_discord.wait_for("PATCH", ORIGINAL, after=seen)
    assert edit.json["content"] == f"头像 #{job_id} 生成失败：the render took longer than 300 s and was stopped"
    assert not edit.files and job(bot_sessions, job_id).delivered_at is not None


async def test_after_the_token_expired_the_result_is_posted_in_the_channel(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    payload, [job_id] = await _create(offline_bot, fake_discord, bot_sessions)
    _expire_token(bot_sessions, job(bot_sessions, job_id).request_id)
    finish(job_id)
    seen = len(fake_discord.calls)
    assert await offline_bot.courier.handle_job(job_id) == "deliver"
    post = await fake_discord.wait_for("POST", CHANNEL_POST, after=seen)
    assert post.json["content"] == f"<@{MEMBER_ID}> Avatar #{job_id} is ready."
    assert [int(u) for u in post.json["allowed_mentions"]["users"]] == [MEMBER_ID]
    assert post.files[0][0] == f"avatar-{job_id}.png" and _buttons(post)[0] == f"avatar:reroll:{job_id}"
    assert not [c for c in fake_discord.calls[seen:] if payload["token"] in c.path]  # the old token is not used


async def test_a_private_result_after_expiry_goes_by_direct_message(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    _, [job_id] = await _create(offline_bot, fake_discord, bot_sessions, {"style": "micah", "private": True})
    _expire_token(bot_sessions, job(bot_sessions, job_id).request_id)
    finish(job_id)
    seen = len(fake_discord.calls)
    assert await offline_bot.courier.handle_job(job_id) == "deliver"
    opened = await fake_discord.wait_for("POST", r"/users/@me/channels", after=seen)
    assert int(opened.json["recipient_id"]) == MEMBER_ID
    dm = await fake_discord.wait_for("POST", rf"/channels/{MEMBER_ID + 1}/messages", after=seen)
    assert dm.files[0][0] == f"avatar-{job_id}.png"
    assert not fake_discord.matching("POST", CHANNEL_POST)  # never in the public channel


async def test_when_the_reply_cannot_be_edited_the_result_is_posted_instead(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    _, [job_id] = await _create(offline_bot, fake_discord, bot_sessions)
    finish(job_id)
    fake_discord.fail("PATCH", ORIGINAL)  # e.g. the user deleted the reply
    seen = len(fake_discord.calls)
    assert await offline_bot.courier.handle_job(job_id) == "deliver"
    post = await fake_discord.wait_for("POST", CHANNEL_POST, after=seen)
    assert post.files and job(bot_sessions, job_id).delivered_at is not None


async def test_a_server_default_of_private_moves_the_reply_out_of_the_channel(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    with bot_sessions() as session:
        update_guild_settings(session, GUILD_ID, {"default_visibility": "private"})
        session.commit()
    payload = command("avatar", "create", {"style": "micah"})
    feed(offline_bot, payload)
    ack = await fake_discord.wait_for("POST", CALLBACK)
    assert ack.callback_type == DEFERRED_CHANNEL_MESSAGE and not ack.flags & EPHEMERAL  # not known yet
    deleted = await fake_discord.wait_for("DELETE", ORIGINAL)
    followup = await fake_discord.wait_for("POST", FOLLOWUP)
    assert deleted.at <= followup.at and followup.flags & EPHEMERAL and followup.content.startswith("Making 1")
    [job_id] = [j.id for j in jobs(bot_sessions)]
    # The bot records the move only once the follow-up exists (after the call awaited above).
    request_id = job(bot_sessions, job_id).request_id
    reply = await reply_when(bot_sessions, request_id, moved_to_follow_up, what="moved to the follow-up")
    assert reply.ephemeral

    finish(job_id)
    seen = len(fake_discord.calls)
    await offline_bot.courier.handle_job(job_id)
    moved = rf"/webhooks/{APPLICATION_ID}/[^/]+/messages/{reply.message_id}"
    edit = await fake_discord.wait_for("PATCH", moved, after=seen)
    assert edit.files and payload["token"] in edit.path


async def test_progress_is_edited_only_when_it_changes_and_at_most_every_interval(
    start_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    interval = 0.4
    bot = await start_bot(progress_every_s=interval)
    payload, [job_id] = await _create(bot, fake_discord, bot_sessions)
    token = payload["token"]
    own = rf"/webhooks/{APPLICATION_ID}/{token}/messages/@original"
    first = fake_discord.matching("PATCH", own)[-1]
    assert "Place in the queue: 1." in first.json["content"]

    await asyncio.sleep(interval * 3)  # nothing changed: no edit
    assert len(fake_discord.matching("PATCH", own)) == 1

    with bot_sessions() as session:  # a worker takes it
        claim_jobs(session, job_id, worker_id="w", backend="builtin")
        session.commit()
    drawing = await fake_discord.wait_for("PATCH", own, after=fake_discord.calls.index(first) + 1, timeout=5)
    assert re.search(r"Drawing now… 0 of 1 ready\.", drawing.json["content"])
    assert drawing.json["content"].startswith("Making 1 avatar(s): style micah.")
    assert drawing.at - first.at >= interval
    await asyncio.sleep(interval * 3)
    assert len(fake_discord.matching("PATCH", own)) == 2  # still drawing: no new edit


def _expire_token(sessions, request_id: str) -> None:
    with sessions() as session:
        session.execute(
            update(InteractionReply)
            .where(InteractionReply.request_id == request_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()
