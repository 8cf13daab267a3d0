"""Faults the fuzz test (tests/bot/test_fuzz.py) found, each pinned by a test that failed before its fix."""

from __future__ import annotations

import logging

import discord
import pytest

from tests.bot.fake_discord import (
    AUTOCOMPLETE_RESULT,
    EPHEMERAL,
    FakeDiscord,
    button_press,
    command,
    feed,
    select_choice,
    settle,
)

CALLBACK = r"/interactions/\d+/[^/]+/callback"


@pytest.mark.parametrize(
    "payload",
    [
        button_press(""),
        button_press("avatar:paint:7"),  # an action a newer deploy has
        button_press("history:1:2"),  # the page buttons' older, shorter form
        select_choice("avatar:fix:hat:7", ["red"]),  # an attribute the editor does not offer
        select_choice("settings:menu", []),
    ],
    ids=["empty", "unknown-action", "old-history", "unknown-attribute", "unknown-menu"],
)
@pytest.mark.parametrize(("locale", "expected"), [("en-US", "older version of the bot"), ("zh-CN", "旧版本")])
async def test_a_button_or_menu_nothing_handles_is_answered_once(
    offline_bot, fake_discord: FakeDiscord, caplog, payload, locale, expected
) -> None:
    payload = {**payload, "locale": locale}
    feed(offline_bot, payload)
    reply = await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert reply.flags & EPHEMERAL and expected in reply.content
    assert len(fake_discord.matching("POST", CALLBACK)) == 1
    [warning] = [r for r in caplog.records if "nothing handles" in r.getMessage()]
    assert warning.levelno == logging.WARNING and warning.exc_info is None


async def test_a_known_button_is_not_answered_twice(offline_bot, fake_discord: FakeDiscord) -> None:
    feed(offline_bot, button_press("avatar:save:99"))
    await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert len(fake_discord.matching("POST", CALLBACK)) == 1  # by the button's own handler
    assert not [c for c in fake_discord.calls if "older version" in str(c.json)]


async def test_a_reading_editor_menu_with_nothing_chosen_or_pressed_as_a_button_is_refused_readably(
    offline_bot, fake_discord: FakeDiscord, bot_sessions, bot_images
) -> None:
    from tests.bot.test_photo import _photo_avatar

    source = _photo_avatar(bot_sessions, bot_images, {"hair": "long"})
    feed(offline_bot, select_choice(f"avatar:fix:hair:{source}", []))
    feed(offline_bot, button_press(f"avatar:fix:hair:{source}"))  # a button press carrying the menu's id
    await settle()
    replies = fake_discord.matching("POST", CALLBACK)
    assert len(replies) == 2
    assert all(r.flags & EPHEMERAL and "Nothing was chosen in that menu" in r.content for r in replies)


async def test_an_edit_menu_with_nothing_chosen_pressed_as_a_button_or_without_a_pair_is_refused_readably(
    offline_bot, fake_discord: FakeDiscord
) -> None:
    # Found when the fuzz test met the Edit choice's menus (avatar:change:...): values[0] raised.
    feed(offline_bot, select_choice("avatar:change:hair_color:7", []))
    feed(offline_bot, button_press("avatar:change:hair_color:7"))
    feed(offline_bot, select_choice("avatar:change:more:7", ["blue"]))  # the shared menu sends attribute=value
    await settle()
    replies = fake_discord.matching("POST", CALLBACK)
    assert len(replies) == 3
    assert all(r.flags & EPHEMERAL and "Nothing was chosen in that menu" in r.content for r in replies)


@pytest.mark.parametrize("sent_type", [1, 4, 5, 11])
async def test_autocomplete_of_an_option_sent_with_another_type_answers_no_choices(
    offline_bot, fake_discord: FakeDiscord, sent_type
) -> None:
    payload = command("avatar", "create", {"style": "adventurer", "hair_color": ""}, focused="hair_color")
    payload["data"]["options"][0]["options"][1]["type"] = sent_type
    feed(offline_bot, payload)
    reply = await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert reply.json == {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}}


@pytest.mark.parametrize(
    ("subcommand", "options", "focused"),
    [
        ("forget-me", {"x": ""}, "x"),  # a command with no options at all
        ("create", {"style": "mic"}, "style"),  # an option with choices, not a completer
        ("show", {"id": 1}, "id"),
    ],
)
async def test_autocomplete_of_an_option_without_a_completer_answers_no_choices(
    offline_bot, fake_discord: FakeDiscord, subcommand, options, focused
) -> None:
    feed(offline_bot, command("avatar", subcommand, options, focused=focused))
    reply = await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert reply.json == {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}}
    assert len(fake_discord.matching("POST", CALLBACK)) == 1


MODERATOR = discord.Permissions(send_messages=True, manage_messages=True, manage_guild=True)
BEYOND_DISCORD = (2**63, 2**63 + 5, 2**64 - 1)  # Discord's ids stay below 2^63; BIGINT holds no more


def _resolved_user(user_id: int) -> dict:
    user = {"id": str(user_id), "username": "someone", "discriminator": "0", "avatar": None}
    return {"users": {str(user_id): user}}


@pytest.mark.parametrize("user_id", BEYOND_DISCORD)
@pytest.mark.parametrize(
    "make",
    [
        lambda uid: command("avatar", "create", {"style": "micah"}, user_id=uid),
        lambda uid: command("avatar", "history", {}, user_id=uid),
        lambda uid: command("avatar", "queue", {}, user_id=uid),
        lambda uid: command("avatar", "forget-me", {}, user_id=uid),
        lambda uid: command("avatar", "create", {"style": "micah", "hair": "lo"}, user_id=uid, focused="hair"),
        lambda uid: button_press(f"history:{uid}:0:next", user_id=uid),
        lambda uid: button_press(f"forget:yes:{uid}", user_id=uid),
        lambda uid: button_press("avatar:save:1", user_id=uid),
        lambda uid: select_choice("avatar:fix:hair:1", ["long"], user_id=uid),
    ],
    ids=["create", "history", "queue", "forget-me", "autocomplete", "history-button", "forget-button", "save", "fix"],
)
async def test_a_user_id_discord_never_gives_out_is_refused_readably(
    offline_bot, fake_discord: FakeDiscord, make, user_id
) -> None:
    payload = make(user_id)
    feed(offline_bot, payload)
    reply = await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert len(fake_discord.matching("POST", CALLBACK)) == 1
    if payload["type"] == 4:
        assert reply.json == {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}}
    else:
        assert reply.flags & EPHEMERAL and "id that Discord does not give out" in reply.content


@pytest.mark.parametrize("user_id", BEYOND_DISCORD)
@pytest.mark.parametrize("subcommand", ["ban", "unban", "log"])
async def test_a_user_option_discord_never_gives_out_is_refused_readably(
    offline_bot, fake_discord: FakeDiscord, subcommand, user_id
) -> None:
    payload = command(
        "avatar-mod",
        subcommand,
        {"user": str(user_id)},
        permissions=MODERATOR,
        option_types={"user": 6},
        resolved=_resolved_user(user_id),
    )
    feed(offline_bot, payload)
    reply = await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert reply.flags & EPHEMERAL and "“user” is not an id Discord gives out" in reply.content


@pytest.mark.parametrize("page", [2**62, 2**63 - 1])
@pytest.mark.parametrize(("group", "subcommand"), [("avatar-mod", "pending"), ("avatar-mod", "log")])
async def test_a_moderation_page_far_past_the_end_is_answered(
    offline_bot, fake_discord: FakeDiscord, group, subcommand, page
) -> None:
    feed(offline_bot, command(group, subcommand, {"page": page}, permissions=MODERATOR))
    await fake_discord.wait_for("POST", CALLBACK)
    await settle()  # the conftest fails the test on the overflow's "unexpected error"
    assert len(fake_discord.matching("POST", CALLBACK)) == 1


@pytest.mark.parametrize("page", [2**62, 2**63 - 1])
async def test_a_history_page_far_past_the_end_is_the_last_page(
    offline_bot, fake_discord: FakeDiscord, finish, bot_sessions, page
) -> None:
    from tests.bot.jobs import jobs

    feed(offline_bot, command("avatar", "create", {"style": "micah", "count": 2}))
    await settle()
    for made in jobs(bot_sessions):
        finish(made.id)
    feed(offline_bot, command("avatar", "history", {"page": page}))
    await settle()
    [edit] = fake_discord.matching("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")[-1:]
    assert edit.json["embeds"][0]["title"] == "Your avatars: page 1 of 1 (2 in all)"


async def test_an_attachment_id_sent_as_a_number_is_refused_readably(offline_bot, fake_discord: FakeDiscord) -> None:
    url = fake_discord.file_url("me.png", b"\x89PNG")
    attachment = {"id": "1", "filename": "me.png", "size": 4, "url": url, "proxy_url": url, "content_type": "image/png"}
    payload = command(
        "avatar", "photo", {"image": 1}, option_types={"image": 11}, resolved={"attachments": {"1": attachment}}
    )
    feed(offline_bot, payload)
    reply = await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert reply.flags & EPHEMERAL and "“image” is not the kind" in reply.content


@pytest.mark.parametrize("typed", [1, 2.5, 2**70, True])
async def test_autocomplete_of_a_text_option_holding_a_number_answers_no_choices(
    offline_bot, fake_discord: FakeDiscord, typed
) -> None:
    payload = command("avatar", "create", {"glasses": "x"}, focused="glasses")
    payload["data"]["options"][0]["options"][0]["value"] = typed  # still declared a text (type 3) option
    feed(offline_bot, payload)
    reply = await fake_discord.wait_for("POST", CALLBACK)
    await settle()
    assert reply.json == {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}}
