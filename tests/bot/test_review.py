"""Review and moderation: held results, the moderators' channel, decisions, reports, bans, the
audit log and the server settings that drive them."""

from __future__ import annotations

import discord
from sqlalchemy import select

from bot.common.guild_settings import GuildSettings
from core.db.models import Job, ModerationAction
from core.db.repositories import get_guild_settings, update_guild_settings
from tests.bot.fake_discord import (
    APPLICATION_ID,
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    MEMBER_ID,
    FakeDiscord,
    button_press,
    command,
    feed,
)
from tests.bot.jobs import job, jobs
from tests.bot.test_delivery import answered

MODERATOR = discord.Permissions(send_messages=True, manage_messages=True)
ADMIN = discord.Permissions(send_messages=True, manage_guild=True)
MODERATOR_ID = MEMBER_ID + 50
REVIEW_CHANNEL = CHANNEL_ID + 100
REVIEW_POST = rf"/channels/{REVIEW_CHANNEL}/messages"


def _configure(sessions, **settings) -> None:
    with sessions() as session:
        update_guild_settings(session, GUILD_ID, settings)
        session.commit()


def _log(sessions) -> list[ModerationAction]:
    with sessions() as session:
        return list(session.scalars(select(ModerationAction).order_by(ModerationAction.id)))


async def _made(bot, fake: FakeDiscord, sessions, finish, **kwargs) -> tuple[dict, int]:
    """A member's /avatar create, answered and finished by a 'worker'."""
    seen = len(fake.calls)
    payload = command("avatar", "create", {"style": "micah"})
    feed(bot, payload)
    await answered(fake, payload["token"], seen)
    [job_id] = [j.id for j in jobs(sessions)][-1:]
    finish(job_id, **kwargs)
    return payload, job_id


async def _press(bot, fake: FakeDiscord, custom_id: str, **kwargs) -> dict:
    payload = button_press(custom_id, **kwargs)
    seen = len(fake.calls)
    feed(bot, payload)
    await answered(fake, payload["token"], seen)
    return payload


async def test_reviewing_everything_holds_the_result_until_a_moderator_approves_it(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    _configure(bot_sessions, review_mode="all", review_channel=REVIEW_CHANNEL)
    payload, job_id = await _made(offline_bot, fake_discord, bot_sessions, finish)
    owner_token = payload["token"]

    assert await offline_bot.courier.handle_job(job_id) == "hold"
    post = await fake_discord.wait_for("POST", REVIEW_POST)
    assert post.files and f"Avatar #{job_id} by <@{MEMBER_ID}> is waiting for review" in post.json["content"]
    assert [b["custom_id"] for row in post.json["components"] for b in row["components"]] == [
        f"avatar:approve:{job_id}",
        f"avatar:reject:{job_id}",
    ]
    waiting = fake_discord.matching("PATCH", rf"/webhooks/{APPLICATION_ID}/{owner_token}/messages/@original")[-1]
    assert "waiting for a moderator's review" in waiting.json["content"] and not waiting.files
    held = job(bot_sessions, job_id)
    assert held.review_state == "pending" and held.held_at and held.delivered_at is None
    assert held.review_channel_id == REVIEW_CHANNEL and held.review_message_id is not None
    assert await offline_bot.courier.handle_job(job_id) is None  # held: nothing more until a decision
    assert await offline_bot.courier.sweep() == 0

    seen = len(fake_discord.calls)
    await _press(offline_bot, fake_discord, f"avatar:approve:{job_id}", user_id=MODERATOR_ID, permissions=MODERATOR)
    await offline_bot.courier.idle()
    marked = await fake_discord.wait_for("PATCH", rf"/channels/{REVIEW_CHANNEL}/messages/{held.review_message_id}")
    assert f"approved by <@{MODERATOR_ID}>" in marked.json["content"] and marked.json["components"] == []
    shown = await fake_discord.wait_for("POST", rf"/webhooks/{APPLICATION_ID}/{owner_token}", after=seen)
    assert shown.files and shown.content == f"A moderator approved avatar #{job_id}; here it is."
    assert job(bot_sessions, job_id).review_state == "approved" and job(bot_sessions, job_id).delivered_at
    [entry] = _log(bot_sessions)
    assert (entry.action, entry.moderator_id, entry.target_user_id, entry.avatar_id) == (
        "approve", MODERATOR_ID, MEMBER_ID, job_id
    )


async def test_a_rejected_result_is_never_shown_and_its_owner_is_told(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    payload, job_id = await _made(offline_bot, fake_discord, bot_sessions, finish, flagged=True)
    assert await offline_bot.courier.handle_job(job_id) == "hold"  # flagged: held even by default
    assert not fake_discord.matching("POST", REVIEW_POST)  # no review channel set: /avatar-mod pending

    listing = command("avatar-mod", "pending", user_id=MODERATOR_ID, permissions=MODERATOR)
    feed(offline_bot, listing)
    shown = await answered(fake_discord, listing["token"], 0)
    assert f"`#{job_id}` <@{MEMBER_ID}>" in shown.json["embeds"][0]["description"] and shown.files

    seen = len(fake_discord.calls)
    reject = command("avatar-mod", "reject", {"avatar": job_id, "reason": "not cute"}, user_id=MODERATOR_ID,
                     permissions=MODERATOR)
    feed(offline_bot, reject)
    told = await fake_discord.wait_for("POST", rf"/webhooks/{APPLICATION_ID}/{payload['token']}", after=seen)
    assert told.content == f"A moderator did not approve avatar #{job_id}, so it will not be shown." and not told.files
    answer = await answered(fake_discord, reject["token"], seen)
    assert answer.json["content"] == f"Rejected avatar #{job_id}; it will not be shown."
    assert [(e.action, e.reason) for e in _log(bot_sessions)] == [("reject", "not cute")]
    assert await offline_bot.courier.sweep() == 0 and await offline_bot.courier.handle_job(job_id) is None

    again = command("avatar-mod", "approve", {"avatar": job_id}, user_id=MODERATOR_ID, permissions=MODERATOR)
    feed(offline_bot, again)
    refused = await fake_discord.wait_for("POST", rf"/webhooks/{APPLICATION_ID}/{again['token']}")
    assert refused.content == f"Avatar #{job_id} is not waiting for review." and refused.flags & EPHEMERAL


async def test_a_report_puts_a_shown_avatar_in_front_of_the_moderators(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    _configure(bot_sessions, review_channel=REVIEW_CHANNEL)
    _, job_id = await _made(offline_bot, fake_discord, bot_sessions, finish)
    assert await offline_bot.courier.handle_job(job_id) == "deliver"

    reporter = MEMBER_ID + 7
    thanks = await _press(offline_bot, fake_discord, f"avatar:report:{job_id}", user_id=reporter)
    reply = await answered(fake_discord, thanks["token"], 0)
    assert reply.json["content"] == f"Thank you: the moderators will look at avatar #{job_id}."
    post = await fake_discord.wait_for("POST", REVIEW_POST)
    assert f"reported by <@{reporter}>" in post.json["content"] and post.files
    assert job(bot_sessions, job_id).review_state == "pending"
    assert [(e.action, e.moderator_id, e.target_user_id) for e in _log(bot_sessions)] == [
        ("report", reporter, MEMBER_ID)
    ]

    twice = await _press(offline_bot, fake_discord, f"avatar:report:{job_id}", user_id=reporter)
    again = await fake_discord.wait_for("POST", rf"/webhooks/{APPLICATION_ID}/{twice['token']}")
    assert again.content == f"Avatar #{job_id} is already waiting for review."


async def test_a_moderator_of_another_server_cannot_decide(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, finish
) -> None:
    _, job_id = await _made(offline_bot, fake_discord, bot_sessions, finish, flagged=True)
    with bot_sessions() as session:
        session.get(Job, job_id).guild_id = GUILD_ID + 1
        session.commit()
    decide = command("avatar-mod", "approve", {"avatar": job_id}, user_id=MODERATOR_ID, permissions=MODERATOR)
    feed(offline_bot, decide)
    refused = await fake_discord.wait_for("POST", rf"/webhooks/{APPLICATION_ID}/{decide['token']}")
    assert refused.content == f"Avatar #{job_id} was not made in this server."
    assert job(bot_sessions, job_id).review_state == "pending" and _log(bot_sessions) == []


async def test_ban_unban_and_the_log(offline_bot, fake_discord: FakeDiscord, bot_sessions) -> None:
    target = MEMBER_ID + 9
    resolved = {"users": {str(target): {"id": str(target), "username": "someone", "discriminator": "0",
                                        "global_name": None, "avatar": None}}}
    for sub, reason in (("ban", "spam"), ("unban", None), ("ban", "again")):
        options = {"user": str(target)} | ({"reason": reason} if reason else {})
        payload = command("avatar-mod", sub, options, user_id=MODERATOR_ID, permissions=MODERATOR,
                          resolved=resolved, option_types={"user": 6})
        feed(offline_bot, payload)
        answer = await answered(fake_discord, payload["token"], 0)
    assert answer.json["content"] == f"<@{target}> can no longer use the avatar bot."

    refused = command("avatar", "create", {}, user_id=target)
    feed(offline_bot, refused)
    told = await fake_discord.wait_for("POST", rf"/webhooks/{APPLICATION_ID}/{refused['token']}")
    assert "banned you" in told.content and jobs(bot_sessions) == []

    log = command("avatar-mod", "log", {"user": str(target)}, user_id=MODERATOR_ID, permissions=MODERATOR,
                  resolved=resolved, option_types={"user": 6}, locale="zh-CN")
    feed(offline_bot, log)
    shown = await answered(fake_discord, log["token"], 0)
    lines = shown.json["embeds"][0]["description"].splitlines()
    assert len(lines) == 3 and lines[0].endswith(f"封禁了 <@{target}>: again") and "解封了" in lines[1]


async def test_admin_settings_are_saved_logged_and_shown(offline_bot, fake_discord: FakeDiscord, bot_sessions) -> None:
    channel = {"id": str(REVIEW_CHANNEL), "name": "mods", "type": 0, "permissions": "0", "guild_id": str(GUILD_ID)}
    payload = command(
        "avatar-admin", "settings", {"review_mode": "all", "daily_limit": 5, "review_channel": str(REVIEW_CHANNEL)},
        user_id=MODERATOR_ID, permissions=ADMIN, resolved={"channels": {str(REVIEW_CHANNEL): channel}},
        option_types={"review_channel": 7},
    )
    feed(offline_bot, payload)
    answer = await answered(fake_discord, payload["token"], 0)
    assert answer.json["content"].startswith("Settings saved.\nReview: all\nReview channel: <#")
    assert "Limits: 2 at once, 5 a day" in answer.json["content"]
    with bot_sessions() as session:
        stored = GuildSettings.model_validate(get_guild_settings(session, GUILD_ID))
    assert (stored.review_mode, stored.daily_limit, stored.review_channel) == ("all", 5, REVIEW_CHANNEL)
    [entry] = _log(bot_sessions)
    assert entry.action == "settings" and "daily_limit=5" in entry.reason and "review_mode=all" in entry.reason

    show = command("avatar-admin", "settings", {}, user_id=MODERATOR_ID, permissions=ADMIN, locale="zh-CN")
    feed(offline_bot, show)
    shown = await answered(fake_discord, show["token"], 0)
    assert shown.json["content"].startswith("本服务器的设置：\n审核：全部") and len(_log(bot_sessions)) == 1
