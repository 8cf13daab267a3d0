"""The real command tree, driven offline with raw interaction payloads against the Discord stand-in."""

from __future__ import annotations

import logging
import re

import discord
import pytest
from discord.http import Route

from bot.app import build_bot
from core.settings import Settings
from tests.bot.fake_discord import (
    APPLICATION_ID,
    AUTOCOMPLETE_RESULT,
    BOT_USER_ID,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    MEMBER_ID,
    UPDATE_MESSAGE,
    FakeDiscord,
    button_press,
    command,
    feed,
)

CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = rf"/webhooks/{APPLICATION_ID}/[^/]+"
ORIGINAL = rf"/webhooks/{APPLICATION_ID}/[^/]+/messages/@original"
DISCORD_ACK_LIMIT_S = 3.0
MODERATOR = discord.Permissions(send_messages=True, manage_messages=True)


async def test_login_uses_the_stand_in(fake_discord: FakeDiscord) -> None:
    bot = build_bot(Settings(discord_application_id=APPLICATION_ID))
    try:
        await bot.login("offline-test-token")
        assert Route.BASE == fake_discord.api_base
        assert bot.user is not None and bot.user.id == BOT_USER_ID
        assert [c.path for c in fake_discord.calls] == ["/users/@me", "/oauth2/applications/@me"]
        assert bot.tree.translator is not None  # setup_hook ran
    finally:
        await bot.close()
    assert Route.BASE == fake_discord.api_base  # the bot never moves discord.py's route base itself


@pytest.mark.parametrize(
    ("options", "locale", "expected"),
    [
        ({"style": "miniavs", "expression": "sad"}, "en-US", r"style 'miniavs' has no expression 'sad'.*happy"),
        ({"hair": "mohawk"}, "en-US", r"unknown hair 'mohawk'; choose one of: short, long"),
        ({"seed": -5}, "en-GB", r"“seed” is outside what this command accepts \(0 to 4294967295\)"),
        ({"count": 9}, "en-US", r"“count” is outside what this command accepts \(1 to 4\)"),
        ({"style": "miniavs", "expression": "sad"}, "zh-CN", r"^无法按这些选项制作头像：style 'miniavs'"),
    ],
)
async def test_a_bad_option_gets_a_readable_ephemeral_error(
    offline_bot, fake_discord: FakeDiscord, options, locale, expected
) -> None:
    feed(offline_bot, command("avatar", "create", options, locale=locale))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert re.search(expected, reply.content), reply.content
    assert len(fake_discord.matching("POST", CALLBACK)) == 1  # answered once, never deferred


@pytest.mark.parametrize(
    ("locale", "expected"), [("en-US", "You need the Manage Messages permission"), ("zh-CN", "管理消息")]
)
async def test_a_moderator_command_is_refused_without_manage_messages(
    offline_bot, fake_discord: FakeDiscord, locale, expected
) -> None:
    feed(offline_bot, command("avatar-mod", "pending", locale=locale))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert expected in reply.content


async def test_a_moderator_passes_the_check(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, command("avatar-mod", "approve", {"avatar": 7}, permissions=MODERATOR))
    ack = await fake_discord.wait_for("POST", CALLBACK)
    assert ack.callback_type == DEFERRED_CHANNEL_MESSAGE and ack.flags & EPHEMERAL


async def test_a_moderator_command_in_direct_messages_is_refused(offline_bot, fake_discord) -> None:
    feed(offline_bot, command("avatar-mod", "log", in_guild=False))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.flags & EPHEMERAL and "only in a server" in reply.content


async def test_server_settings_need_manage_server(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, command("avatar-admin", "settings", {"review_mode": "all"}, permissions=MODERATOR))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.flags & EPHEMERAL and "Manage Server" in reply.content


async def test_bad_server_settings_are_explained(offline_bot, fake_discord: FakeDiscord) -> None:
    admin = discord.Permissions(manage_guild=True)
    feed(offline_bot, command("avatar-admin", "settings", {"allowed_styles": "micah, cubism"}, permissions=admin))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert "Unknown style(s): cubism" in reply.content


@pytest.mark.parametrize(
    ("chosen", "typed", "locale", "expected"),
    [
        ({"style": "miniavs"}, "", "en-US", ["happy"]),
        ({"style": "micah"}, "", "en-US", ["happy", "sad", "surprised"]),
        ({"style": "micah"}, "s", "en-US", ["sad", "surprised"]),
        ({}, "", "en-US", ["happy", "neutral", "sad", "surprised", "wink"]),
        ({"style": "micah"}, "惊", "zh-CN", ["惊讶"]),
    ],
)
async def test_autocomplete_offers_what_the_chosen_style_can_draw(
    offline_bot, fake_discord: FakeDiscord, chosen, typed, locale, expected
) -> None:
    options = {**chosen, "expression": typed}
    feed(offline_bot, command("avatar", "create", options, focused="expression", locale=locale))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == AUTOCOMPLETE_RESULT
    assert [c["name"] for c in reply.json["data"]["choices"]] == expected


async def test_autocomplete_values_stay_in_the_vocabulary_for_chinese_users(offline_bot, fake_discord) -> None:
    feed(offline_bot, command("avatar", "create", {"style": "micah", "hair": ""}, focused="hair", locale="zh-CN"))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.json["data"]["choices"] == [{"name": "短发", "value": "short"}, {"name": "长发", "value": "long"}]


async def test_styles_lists_every_style(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, command("avatar", "styles"))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    embed = reply.json["data"]["embeds"][0]
    assert [f["name"] for f in embed["fields"]][:2] == ["adventurer", "lorelei"]
    micah = next(f for f in embed["fields"] if f["name"] == "micah")
    assert "**expression**: happy, sad, surprised" in micah["value"]


async def test_forget_me_asks_first_and_cancel_deletes_nothing(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, command("avatar", "forget-me"))
    prompt = await fake_discord.wait_for("POST", CALLBACK)
    assert prompt.callback_type == CHANNEL_MESSAGE and prompt.flags & EPHEMERAL
    buttons = [b["custom_id"] for row in prompt.json["data"]["components"] for b in row["components"]]
    assert buttons == [f"forget:yes:{MEMBER_ID}", f"forget:no:{MEMBER_ID}"]

    seen = len(fake_discord.calls)
    feed(offline_bot, button_press(f"forget:no:{MEMBER_ID}", ephemeral_message=True))
    update = await fake_discord.wait_for("POST", CALLBACK, after=seen)
    assert update.callback_type == UPDATE_MESSAGE
    assert update.json["data"]["content"] == "Nothing was deleted." and update.json["data"]["components"] == []


async def test_only_the_asker_can_answer_forget_me(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, button_press(f"forget:yes:{MEMBER_ID}", user_id=MEMBER_ID + 1, locale="zh-CN"))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert reply.content == "只有发起请求的人才能使用这个按钮。"


async def test_approve_button_is_refused_to_a_member(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, button_press("avatar:approve:42"))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.flags & EPHEMERAL and "Manage Messages" in reply.content


async def test_an_unexpected_error_shows_an_id_that_is_logged(
    offline_bot, fake_discord: FakeDiscord, monkeypatch, caplog
) -> None:
    def broken(locale):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.gallery.commands.styles_embed", broken)
    feed(offline_bot, command("avatar", "styles"))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    error_id = re.search(r"error id ([0-9a-f]{8})", reply.content).group(1)
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(logged) == 1 and error_id in logged[0].getMessage() and "boom" in caplog.text
    logged[0].expected = True


async def test_sync_sends_what_python_m_bot_commands_prints(offline_bot, fake_discord: FakeDiscord) -> None:
    from bot.command_payloads import command_payloads

    await offline_bot.tree.sync()
    put = await fake_discord.wait_for("PUT", rf"/applications/{APPLICATION_ID}/commands")
    assert put.json == await command_payloads(offline_bot.tree)
    assert any(c["name_localizations"] == {"zh-CN": "头像"} for c in put.json)


@pytest.mark.parametrize(
    ("filename", "content_type", "size"), [("cat.gif", "image/gif", 1000), ("big.png", "image/png", 11 << 20)]
)
async def test_a_photo_that_cannot_be_used_is_refused_before_deferring(
    offline_bot, fake_discord: FakeDiscord, filename, content_type, size
) -> None:
    attachment_id = "1300000000000000001"
    resolved = {
        "attachments": {
            attachment_id: {
                "id": attachment_id,
                "filename": filename,
                "size": size,
                "url": f"https://cdn.discordapp.com/attachments/1/2/{filename}",
                "proxy_url": f"https://media.discordapp.net/attachments/1/2/{filename}",
                "content_type": content_type,
            }
        }
    }
    payload = command("avatar", "photo", {"image": attachment_id}, resolved=resolved, option_types={"image": 11})
    feed(offline_bot, payload)
    reply = await fake_discord.wait_for("POST", CALLBACK)
    assert reply.callback_type == CHANNEL_MESSAGE and reply.flags & EPHEMERAL
    assert reply.content == "The photo must be a PNG, JPEG or WebP file of at most 10 MiB."
