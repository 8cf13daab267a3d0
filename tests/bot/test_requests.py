"""Requests made from other avatars or a photo: reroll, vary, mix, photo, by command and by button."""

from __future__ import annotations

from core.db.repositories import update_guild_settings
from tests.bot.fake_discord import (
    EPHEMERAL,
    GUILD_ID,
    MEMBER_ID,
    FakeDiscord,
    button_press,
    command,
    feed,
)
from tests.bot.jobs import job, jobs, moved_to_follow_up, reply_of, reply_when
from tests.bot.test_delivery import answered
from tests.bot.test_gallery import _avatars

OTHER_ID = MEMBER_ID + 1


async def _run(bot, fake: FakeDiscord, payload: dict):
    seen = len(fake.calls)
    feed(bot, payload)
    return await answered(fake, payload["token"], seen)


def _newest(sessions):
    return jobs(sessions)[-1]


async def test_reroll_keeps_the_spec_with_a_new_seed_and_records_its_parent(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    first = await _run(offline_bot, fake_discord, command("avatar", "reroll"))
    assert first.content == "You have no avatar to re-roll yet; make one with /avatar create."
    assert first.flags & EPHEMERAL

    [source] = _avatars(bot_sessions, bot_images, MEMBER_ID, 1, style="lorelei")
    answer = await _run(offline_bot, fake_discord, command("avatar", "reroll"))  # default: my newest
    assert answer.json["content"].startswith(f"Re-rolling avatar #{source}: style lorelei.\nPlace in the queue: 1.")
    made = _newest(bot_sessions)
    assert (made.kind, made.parent_id, made.spec["style"]) == ("reroll", source, "lorelei")
    assert made.seed != job(bot_sessions, source).seed  # a new random seed (equal once in 2**32)
    reply = reply_of(bot_sessions, made.request_id)
    assert reply.summary.startswith(f"Re-rolling avatar #{source}") and not reply.ephemeral

    pressed = await _run(offline_bot, fake_discord, button_press(f"avatar:reroll:{source}", user_id=OTHER_ID))
    assert pressed.json["content"].startswith(f"Re-rolling avatar #{source}")
    theirs = _newest(bot_sessions)
    assert (theirs.owner_id, theirs.kind, theirs.parent_id) == (OTHER_ID, "reroll", source)


async def test_vary_and_mix_give_the_worker_its_parameters(offline_bot, fake_discord, bot_sessions, bot_images):
    first, second = _avatars(bot_sessions, bot_images, MEMBER_ID, 2)
    with bot_sessions() as session:
        update_guild_settings(session, GUILD_ID, {"concurrent_limit": 5})
        session.commit()
    await _run(offline_bot, fake_discord, command("avatar", "vary", {"avatar": first, "strength": 0.6}))
    varied = _newest(bot_sessions)
    assert (varied.kind, varied.parent_id, varied.seed) == ("variation", first, job(bot_sessions, first).seed)
    assert varied.params["strength"] == 0.6 and isinstance(varied.params["variation_seed"], int)

    await _run(offline_bot, fake_discord, button_press(f"avatar:vary:{second}"))
    assert "strength" not in _newest(bot_sessions).params  # not chosen: the backend's own default applies

    answer = await _run(offline_bot, fake_discord, command("avatar", "mix", {"a": first, "b": second}))
    assert answer.json["content"].startswith(f"Mixing avatars #{first} and #{second}.")
    mixed = _newest(bot_sessions)
    assert (mixed.kind, mixed.parent_id, mixed.mix_parent_id) == ("mix", first, second)
    assert mixed.params == {}  # the ratio is the backend's default


async def test_requests_from_a_private_avatar_stay_private(offline_bot, fake_discord, bot_sessions, bot_images):
    [secret] = _avatars(bot_sessions, bot_images, MEMBER_ID, 1, visibility="private")
    refused = await _run(offline_bot, fake_discord, command("avatar", "vary", {"avatar": secret}, user_id=OTHER_ID))
    assert "does not exist or is not yours" in refused.content

    answer = await _run(offline_bot, fake_discord, command("avatar", "reroll", {"avatar": secret}))
    assert answer.method == "POST" and answer.flags & EPHEMERAL  # moved out of the public channel
    made = _newest(bot_sessions)
    assert made.visibility == "private"
    # The bot records the move only once the follow-up exists (after the call awaited above).
    moved = await reply_when(bot_sessions, made.request_id, moved_to_follow_up, what="moved to the follow-up")
    assert moved.ephemeral


async def test_an_avatar_under_review_cannot_be_built_on(offline_bot, fake_discord, bot_sessions, bot_images):
    [held] = _avatars(bot_sessions, bot_images, MEMBER_ID, 1)
    with bot_sessions() as session:
        session.get(type(job(bot_sessions, held)), held).review_state = "pending"
        session.commit()
    refused = await _run(offline_bot, fake_discord, command("avatar", "mix", {"a": held, "b": held + 1}))
    assert refused.content == f"Avatar #{held} is waiting for review; try again once a moderator has approved it."


def _attachment(fake: FakeDiscord, data: bytes, *, name: str = "me.png", content_type: str = "image/png") -> dict:
    attachment_id = "1300000000000000002"
    url = fake.file_url(name, data)
    return {
        "attachments": {
            attachment_id: {
                "id": attachment_id, "filename": name, "size": len(data), "url": url, "proxy_url": url,
                "content_type": content_type,
            }
        }
    }, attachment_id


async def test_a_photo_that_is_not_an_image_is_refused_readably(offline_bot, fake_discord, bot_sessions) -> None:
    resolved, attachment_id = _attachment(fake_discord, b"not a picture at all")
    payload = command("avatar", "photo", {"image": attachment_id}, resolved=resolved, option_types={"image": 11})
    answer = await _run(offline_bot, fake_discord, payload)
    assert answer.flags & EPHEMERAL and "not an image we can read" in answer.content
    assert jobs(bot_sessions) == []
