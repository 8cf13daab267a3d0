"""Faults found by probing the bot with payloads Discord can deliver (issue 15, section 3): each is
answered with a readable sentence, once, and nothing is logged as an unexpected error."""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest

from tests.bot.fake_discord import (
    CHANNEL_MESSAGE,
    EPHEMERAL,
    FakeDiscord,
    button_press,
    command,
    feed,
)

CALLBACK = r"/interactions/\d+/[^/]+/callback"
MODERATOR = discord.Permissions(send_messages=True, manage_messages=True)
ADMIN = discord.Permissions(manage_guild=True)

# Past PostgreSQL's INTEGER (2^31 - 1), and past SQLite's and BIGINT's 64 bits (Discord sends up to 2^63).
TOO_LARGE_IDS = (2**31, 2**63 - 1, 2**63 + 5)


async def _text_answer(fake_discord: FakeDiscord) -> str:
    """The one text the user got: an immediate message, or the follow-up after a deferral."""
    first = await fake_discord.wait_for("POST", CALLBACK)
    if first.callback_type == CHANNEL_MESSAGE:
        return first.content or ""
    for _ in range(100):
        answers = [
            c for c in fake_discord.calls
            if c.matches("POST", r"/webhooks/\d+/[^/]+")
            or c.matches("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
        ]
        if answers:
            return answers[0].content or ""
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer after the deferral: {[(c.method, c.path) for c in fake_discord.calls]}")


@pytest.mark.parametrize("avatar_id", TOO_LARGE_IDS)
@pytest.mark.parametrize(
    ("group", "subcommand", "option", "permissions"),
    [
        ("avatar", "show", "id", None),
        ("avatar", "favourite", "id", None),
        ("avatar", "delete", "id", None),
        ("avatar", "reroll", "avatar", None),
        ("avatar", "vary", "avatar", None),
        ("avatar-mod", "approve", "avatar", MODERATOR),
        ("avatar-mod", "reject", "avatar", MODERATOR),
    ],
)
async def test_an_avatar_id_past_the_column_does_not_exist(
    offline_bot, fake_discord: FakeDiscord, group, subcommand, option, permissions, avatar_id
) -> None:
    feed(offline_bot, command(group, subcommand, {option: avatar_id}, permissions=permissions))
    text = await _text_answer(fake_discord)
    assert f"#{avatar_id} does not exist" in text, text


async def test_mix_with_an_id_past_the_column_does_not_exist(offline_bot, fake_discord: FakeDiscord, finish) -> None:
    feed(offline_bot, command("avatar", "mix", {"a": 2**31, "b": 2**63 + 1}))
    assert "does not exist" in await _text_answer(fake_discord)


@pytest.mark.parametrize("action", ["reroll", "vary", "change", "save", "delete", "report", "export"])
async def test_a_button_with_an_id_past_the_column_does_not_exist(
    offline_bot, fake_discord: FakeDiscord, action
) -> None:
    feed(offline_bot, button_press(f"avatar:{action}:{2**63 + 7}"))
    assert "does not exist" in await _text_answer(fake_discord)


@pytest.mark.parametrize(
    ("group", "subcommand", "options"),
    [
        ("avatar", "paint", {}),  # a command added by a newer deploy, not synced to this bot yet
        ("avatar-old", "create", {}),  # a group an older deploy had
        ("avatar-mod", "approve", {}),  # a required option the client does not know yet
    ],
)
@pytest.mark.parametrize(("locale", "expected"), [("en-US", "just updated"), ("zh-CN", "刚刚更新")])
async def test_an_unknown_command_or_signature_asks_to_try_again(
    offline_bot, fake_discord: FakeDiscord, caplog, group, subcommand, options, locale, expected
) -> None:
    feed(offline_bot, command(group, subcommand, options, permissions=MODERATOR, locale=locale))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert expected in reply.content and "error id" not in reply.content
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "outdated command" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None


@pytest.mark.parametrize(
    ("subcommand", "options", "permissions", "expected"),
    [
        ("show", {"id": "seven"}, None, "“id” is not the kind"),
        ("show", {"id": 3.5}, None, "“id” is not the kind"),
        ("create", {"count": 9_000_000_000}, None, "“count” is outside what this command accepts (1 to 4)"),
        ("create", {"private": "yes"}, None, "“private” is not the kind"),
        ("create", {"seed": True}, None, "“seed” is not the kind"),
        ("create", {"style": "cubism" * 300}, None, "“style” is not one of the offered choices"),
        ("history", {"page": 0}, None, "“page” is outside what this command accepts (≥ 1)"),
    ],
)
async def test_a_wrong_typed_option_is_refused_readably(
    offline_bot, fake_discord: FakeDiscord, subcommand, options, permissions, expected
) -> None:
    feed(offline_bot, command("avatar", subcommand, options, permissions=permissions))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert expected in reply.content, reply.content
    assert len(fake_discord.matching("POST", CALLBACK)) == 1


async def test_an_error_echoing_a_long_value_stays_inside_discords_message_limit(offline_bot, fake_discord) -> None:
    feed(offline_bot, command("avatar", "create", {"glasses": "monocle" * 400}))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert "unknown glasses" in reply.content and len(reply.content) <= 2000


@pytest.mark.parametrize(
    ("options", "option_types", "expected"),
    [
        ({"review_mode": 5}, None, "“review_mode” is not the kind"),
        ({"review_mode": "sometimes"}, None, "“review_mode” is not one of the offered choices"),
        ({"concurrent_limit": 2**40}, None, "“concurrent_limit” is outside what this command accepts (1 to 10)"),
        ({"daily_limit": "many"}, None, "“daily_limit” is not the kind"),
        ({"allowed_styles": 12}, None, "“allowed_styles” is not the kind"),
        ({"allowed_backends": "x" * 500}, None, "“allowed_backends” is too long"),
        ({"allow_channel": "123"}, {"allow_channel": 7}, "“allow_channel” is not the kind"),  # nothing resolved
        ({"visibility": ["public"]}, None, "“visibility” is not the kind"),
    ],
)
async def test_wrong_typed_server_settings_are_refused_readably(
    offline_bot, fake_discord: FakeDiscord, options, option_types, expected
) -> None:
    feed(offline_bot, command("avatar-admin", "settings", options, permissions=ADMIN, option_types=option_types))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert expected in reply.content, reply.content


async def test_autocomplete_with_a_wrong_typed_option_answers_no_choices(offline_bot, fake_discord) -> None:
    feed(offline_bot, command("avatar", "create", {"style": 5, "hair": ""}, focused="hair"))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.json["type"] == 8 and reply.json["data"]["choices"] == []


@pytest.mark.parametrize(("locale", "expected"), [("en-US", "details text was ignored"), ("zh-CN", "忽略了附加描述")])
async def test_details_sent_to_the_builtin_backend_are_said_to_be_ignored(
    offline_bot, fake_discord: FakeDiscord, locale, expected
) -> None:
    feed(offline_bot, command("avatar", "create", {"style": "micah", "details": "a red scarf"}, locale=locale))
    await fake_discord.wait_for("POST", CALLBACK)
    first = await fake_discord.wait_for("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
    assert expected in first.content


async def test_a_create_without_details_has_no_such_note(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, command("avatar", "create", {"style": "micah"}))
    first = await fake_discord.wait_for("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
    assert "ignored" not in first.content



async def test_with_the_broker_down_create_says_the_request_is_saved_and_commits_it(
    fake_discord: FakeDiscord, bot_settings, bot_sessions, bot_images, caplog
) -> None:
    from sqlalchemy import select

    from bot.app import build_bot
    from core.db.models import InteractionReply, Job, JobStatus
    from core.dispatch import make_producer
    from core.settings import Settings
    from tests.bot.fake_discord import settle

    dead_broker = make_producer(Settings(broker_url="redis://127.0.0.1:9/0"))  # nothing listens on port 9
    bot = build_bot(bot_settings, session_factory=bot_sessions, producer=dead_broker, image_store=bot_images)
    await bot.login("offline-test-token")
    try:
        feed(bot, command("avatar", "create", {"style": "micah"}))
        first = await fake_discord.wait_for("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", timeout=30)
        assert "your request is saved" in first.content and "error id" not in first.content
        with bot_sessions() as session:
            [job] = session.scalars(select(Job)).all()
            assert job.status == JobStatus.QUEUED
            assert session.scalars(select(InteractionReply)).one().request_id == job.request_id
        [warning] = [r for r in caplog.records if "not sent" in r.getMessage()]
        assert warning.levelno == logging.WARNING and warning.exc_info is None
    finally:
        await settle()
        await bot.close()
        dead_broker.close()
