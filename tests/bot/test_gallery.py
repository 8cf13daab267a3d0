"""Looking at and tidying avatars: show, favourite, delete, forget-me, history pages, styles, queue."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from core.db.models import Favourite, InteractionReply, Job, ModerationAction, User
from core.db.repositories import create_jobs, record_moderation_action
from core.spec import parse_spec
from tests.bot.fake_discord import (
    APPLICATION_ID,
    DEFERRED_UPDATE_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    MEMBER_ID,
    FakeDiscord,
    button_press,
    command,
    feed,
)
from tests.bot.jobs import finish_job, job, jobs
from tests.bot.test_delivery import answered

OTHER_ID = MEMBER_ID + 1


def _avatars(sessions, images, owner: int, count: int, *, style: str = "micah", **kwargs) -> list[int]:
    with sessions() as session:
        rows = create_jobs(
            session, owner_id=owner, spec=parse_spec({"style": style}), seeds=list(range(count)), backend="builtin",
            guild_id=GUILD_ID, **kwargs,
        )
        session.commit()
        ids = [row.id for row in rows]
    for job_id in ids:
        finish_job(sessions, images, job_id)
    return ids


async def _run(bot, fake: FakeDiscord, group: str, sub: str, options=None, **kwargs):
    payload = command(group, sub, options or {}, **kwargs)
    seen = len(fake.calls)
    feed(bot, payload)
    return payload, await answered(fake, payload["token"], seen)


def _count(sessions, model, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_show_shows_what_the_viewer_may_see(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    [mine] = _avatars(bot_sessions, bot_images, MEMBER_ID, 1)
    [secret] = _avatars(bot_sessions, bot_images, OTHER_ID, 1, visibility="private")
    _, shown = await _run(offline_bot, fake_discord, "avatar", "show", {"id": mine}, user_id=OTHER_ID)
    assert shown.method == "PATCH" and shown.files[0][0] == f"avatar-{mine}.png"
    assert shown.json["embeds"][0]["title"] == f"Avatar #{mine}"

    _, refused = await _run(offline_bot, fake_discord, "avatar", "show", {"id": secret})
    assert refused.flags & EPHEMERAL and "does not exist or is not yours" in refused.content

    # Its owner sees a private avatar only in a message nobody else sees.
    payload, private = await _run(offline_bot, fake_discord, "avatar", "show", {"id": secret}, user_id=OTHER_ID)
    assert private.method == "POST" and private.flags & EPHEMERAL and private.files
    assert fake_discord.matching("DELETE", _original(payload))  # the public "thinking" went first


async def test_favourites_are_saved_once(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    [theirs] = _avatars(bot_sessions, bot_images, OTHER_ID, 1)
    _, first = await _run(offline_bot, fake_discord, "avatar", "favourite", {"id": theirs})
    assert first.json["content"] == f"Saved avatar #{theirs} to your favourites."
    payload = button_press(f"avatar:save:{theirs}")
    feed(offline_bot, payload)
    again = await answered(fake_discord, payload["token"], 0)
    assert again.json["content"] == f"Avatar #{theirs} is already in your favourites."
    assert _count(bot_sessions, Favourite, Favourite.user_id == MEMBER_ID) == 1


async def test_delete_removes_the_row_and_files_only_for_the_owner(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    [first, second] = _avatars(bot_sessions, bot_images, MEMBER_ID, 2)
    path = bot_images.path(job(bot_sessions, first).image_key)
    _, refused = await _run(offline_bot, fake_discord, "avatar", "delete", {"id": first}, user_id=OTHER_ID)
    assert "does not exist or is not yours" in refused.content and path.exists()

    _, done = await _run(offline_bot, fake_discord, "avatar", "delete", {"id": first})
    assert done.json["content"] == f"Avatar #{first} was deleted."
    assert _count(bot_sessions, Job, Job.id == first) == 0 and not path.exists()

    # The button under a result deletes it and replaces that message.
    other_path = bot_images.path(job(bot_sessions, second).image_key)
    payload = button_press(f"avatar:delete:{second}")
    feed(offline_bot, payload)
    ack = await fake_discord.wait_for("POST", rf"/interactions/{payload['id']}/[^/]+/callback")
    edit = await answered(fake_discord, payload["token"], 0)
    assert ack.callback_type == DEFERRED_UPDATE_MESSAGE and edit.json["content"] == f"Avatar #{second} was deleted."
    assert edit.json["embeds"] == [] and edit.json["components"] == [] and not other_path.exists()


async def test_forget_me_deletes_every_row_and_image_of_the_user(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    mine = _avatars(bot_sessions, bot_images, MEMBER_ID, 3)
    [kept] = _avatars(bot_sessions, bot_images, OTHER_ID, 1)
    paths = [bot_images.path(job(bot_sessions, j).image_key) for j in mine]
    await _run(offline_bot, fake_discord, "avatar", "create", {"style": "micah"})  # a reply row too
    with bot_sessions() as session:
        record_moderation_action(session, moderator_id=OTHER_ID, action="report", target_user_id=MEMBER_ID)
        session.commit()

    payload = button_press(f"forget:yes:{MEMBER_ID}", ephemeral_message=True)
    feed(offline_bot, payload)
    done = await answered(fake_discord, payload["token"], 0)
    assert done.json["content"].startswith("Done: 4 avatar(s)") and done.json["components"] == []
    assert _count(bot_sessions, Job, Job.owner_id == MEMBER_ID) == 0
    assert _count(bot_sessions, InteractionReply, InteractionReply.user_id == MEMBER_ID) == 0
    assert _count(bot_sessions, User, User.id == MEMBER_ID) == 0
    assert not any(p.exists() for p in paths)
    assert bot_images.exists(job(bot_sessions, kept).image_key)
    assert _count(bot_sessions, ModerationAction) == 1  # the audit log outlives the user


async def test_history_pages_through_a_contact_sheet(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    ids = _avatars(bot_sessions, bot_images, MEMBER_ID, 10)
    _, first = await _run(offline_bot, fake_discord, "avatar", "history")
    embed = first.json["embeds"][0]
    assert embed["title"] == "Your avatars: page 1 of 2 (10 in all)"
    assert embed["description"].splitlines()[0].startswith(f"`#{ids[-1]}` new: style micah")
    [(name, data)] = first.files
    with Image.open(io.BytesIO(data)) as sheet:
        assert name == "history.png" and sheet.size[0] > 3 * 150
    buttons = [b for row in first.json["components"] for b in row["components"]]
    assert [(b["custom_id"], b.get("disabled", False)) for b in buttons] == [
        (f"history:{MEMBER_ID}:0:prev", True),
        (f"history:{MEMBER_ID}:1:next", False),
    ]

    payload = button_press(f"history:{MEMBER_ID}:1:next", ephemeral_message=True)
    feed(offline_bot, payload)
    second = await answered(fake_discord, payload["token"], 0)
    assert second.json["embeds"][0]["title"] == "Your avatars: page 2 of 2 (10 in all)"
    assert second.json["embeds"][0]["description"].startswith(f"`#{ids[0]}`")

    stranger = button_press(f"history:{MEMBER_ID}:1:next", user_id=OTHER_ID)
    feed(offline_bot, stranger)
    refused = await fake_discord.wait_for("POST", rf"/interactions/{stranger['id']}/[^/]+/callback")
    assert refused.content == "Only the person who asked can use this button."


async def test_history_of_nobody_says_how_to_start(offline_bot, fake_discord) -> None:
    _, empty = await _run(offline_bot, fake_discord, "avatar", "history", {"page": 3})
    assert empty.json["content"].startswith("You have no avatars yet.") and not empty.files


async def test_styles_show_real_examples_where_there_are_any(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    payload, _ = await _run(offline_bot, fake_discord, "avatar", "styles")
    edit = await fake_discord.wait_for("PATCH", _original(payload))
    assert edit.json["embeds"][0]["footer"]["text"].startswith("No examples yet") and not edit.files

    _avatars(bot_sessions, bot_images, OTHER_ID, 1, style="lorelei")
    _avatars(bot_sessions, bot_images, OTHER_ID, 1, style="micah", visibility="private")
    payload, _ = await _run(offline_bot, fake_discord, "avatar", "styles")
    edit = await fake_discord.wait_for("PATCH", _original(payload))
    embed = edit.json["embeds"][0]
    assert edit.files[0][0] == "styles.png" and embed["image"]["url"] == "attachment://styles.png"
    assert "micah" in embed["footer"]["text"] and "lorelei" not in embed["footer"]["text"]


async def test_queue_says_where_each_request_is(offline_bot, fake_discord, bot_sessions) -> None:
    with bot_sessions() as session:
        create_jobs(session, owner_id=OTHER_ID, spec=parse_spec({}), seeds=[1], backend="builtin")
        mine = create_jobs(session, owner_id=MEMBER_ID, spec=parse_spec({}), seeds=[1, 2], backend="builtin")
        session.commit()
    _, status = await _run(offline_bot, fake_discord, "avatar", "queue")
    lines = status.json["content"].splitlines()
    assert lines == [
        f"#{mine[0].id}: place 2 in the queue",
        f"#{mine[1].id}: place 3 in the queue",
        "Generators online: 0.",
    ]
    assert jobs(bot_sessions)[0].owner_id == OTHER_ID



def _original(payload: dict) -> str:
    return rf"/webhooks/{APPLICATION_ID}/{payload['token']}/messages/@original"
