"""/avatar pack: one pack job per expression, one sheet with a button per expression, and the guild
emoji and sticker uploads with every refusal and Discord error, through the Discord stand-in."""

from __future__ import annotations

import asyncio
import io

import discord
import pytest
from PIL import Image
from sqlalchemy import update

from core.db import repositories as repo
from core.db.models import Job
from core.spec import parse_spec
from tests.bot.fake_discord import (
    APPLICATION_ID,
    EPHEMERAL,
    GUILD_ID,
    INVALID_FORM_BODY,
    MAX_EMOJIS,
    MAX_STICKERS,
    MEMBER_ID,
    MISSING_PERMISSIONS,
    FakeDiscord,
    button_press,
    command,
    feed,
)
from tests.bot.jobs import finish_job, jobs

OTHER_ID = MEMBER_ID + 1
MICAH = {"style": "micah", "hair": "long", "hair_color": "black", "expression": "happy"}
ADVENTURER = {"style": "adventurer", "hair": "bun", "expression": "wink"}
EXPRESSIONS = discord.Permissions(send_messages=True, create_expressions=True)


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.packs import handlers

    monkeypatch.setattr(handlers, "POLL_S", 0.05)


def own_avatar(sessions, images, *, owner_id: int = MEMBER_ID, spec: dict | None = None) -> int:
    with sessions() as session:
        [made] = repo.create_jobs(
            session, owner_id=owner_id, spec=parse_spec(spec or MICAH), seeds=[99], backend="builtin"
        )
        session.commit()
    return finish_job(sessions, images, made.id)


def by_token(fake: FakeDiscord, token: str, after: int, method: str | None = None):
    return [
        c
        for c in fake.calls[after:]
        if c.path.startswith(f"/webhooks/{APPLICATION_ID}/{token}") and (method is None or c.method == method)
    ]


async def until(condition, timeout: float = 10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def made_pack(bot, fake, sessions, images, spec: dict | None = None, name: str | None = None):
    """Ask for a pack of a new avatar, finish its jobs as the worker would; returns (source, members, sheet call)."""
    source = own_avatar(sessions, images, spec=spec)
    options = {"avatar": source, **({"name": name} if name else {})}
    payload = command("avatar", "pack", options)
    seen = len(fake.calls)
    feed(bot, payload)
    first = await until(lambda: by_token(fake, payload["token"], seen, "PATCH"))
    members = [j for j in jobs(sessions) if j.kind == "pack"]
    for member in members:
        finish_job(sessions, images, member.id)
    sheet = await until(lambda: [c for c in by_token(fake, payload["token"], seen, "PATCH") if c.files])
    return source, members, first[0], sheet[0]


def buttons(call) -> list[dict]:
    return [b for row in (call.json or {}).get("components", []) for b in row["components"]]


async def press(bot, fake, custom_id: str, *, permissions=None, app_permissions=None, user_id: int = MEMBER_ID):
    payload = button_press(custom_id, permissions=permissions, user_id=user_id)
    if app_permissions is not None:
        payload["app_permissions"] = str(app_permissions.value)
    seen = len(fake.calls)
    feed(bot, payload)
    callback = await fake.wait_for("POST", r"/interactions/.*/callback", after=seen, timeout=10)
    if callback.callback_type == 5:  # deferred: the answer is a follow-up
        return (await until(lambda: [c for c in by_token(fake, payload["token"], seen, "POST")]))[0]
    return callback


async def test_a_pack_is_one_job_per_expression_and_one_sheet_with_a_button_each(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    source, members, first, sheet = await made_pack(offline_bot, fake_discord, bot_sessions, bot_images)

    assert first.content.startswith(f"Drawing avatar #{source} in 3 expressions: happy, sad, surprised.")
    assert [m.spec["expression"] for m in members] == ["happy", "sad", "surprised"]
    assert {m.request_id for m in members} == {members[0].request_id}
    assert {(m.parent_id, m.seed, m.owner_id) for m in members} == {(source, 99, MEMBER_ID)}
    assert all(m.params == {"source_spec": MICAH} for m in members)
    assert repo.get_reply(bot_sessions(), members[0].request_id) is None  # shown by the pack itself
    assert sheet.files[0][0] == f"pack-{source}.png"
    assert f"Avatar #{source} in 3 expressions" in sheet.json["content"]
    ids = [b["custom_id"] for b in buttons(sheet)]
    name = f"avatar{source}"
    assert ids == [f"pack:show:{m.id}:{name}" for m in members] + [
        f"pack:emojis:{members[0].id}:{name}",
        f"pack:stickers:{members[0].id}:{name}",
    ]
    assert [b["label"] for b in buttons(sheet)][:3] == ["happy", "sad", "surprised"]


async def test_an_expression_button_gives_its_emoji_and_sticker_files(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    _, members, _, _ = await made_pack(offline_bot, fake_discord, bot_sessions, bot_images, name="mochi")
    answer = await press(offline_bot, fake_discord, f"pack:show:{members[1].id}:mochi")
    assert answer.flags & EPHEMERAL
    names = [name for name, _ in answer.files]
    assert names == ["mochi_sad-emoji.png", "mochi_sad-sticker.png"]
    emoji, sticker = (Image.open(io.BytesIO(data)) for _, data in answer.files)
    assert emoji.size == (128, 128) and sticker.size == (320, 320)
    assert len(answer.files[0][1]) < 256 * 1024 and len(answer.files[1][1]) < 512 * 1024


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("theirs", "is not yours"),
        ("held", "is waiting for review"),
        ("miniavs", "draws only one expression"),
        ("bad-name", "has no letters or digits"),
        ("review-all", "reviews every avatar before it is shown"),
    ],
)
async def test_refusals_are_ephemeral_and_make_no_job(
    setup, expected, offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    owner = OTHER_ID if setup == "theirs" else MEMBER_ID
    source = own_avatar(
        bot_sessions, bot_images, owner_id=owner, spec={"style": "miniavs"} if setup == "miniavs" else None
    )
    if setup == "held":
        with bot_sessions() as session:
            session.execute(update(Job).where(Job.id == source).values(review_state="pending"))
            session.commit()
    if setup == "review-all":
        with bot_sessions() as session:
            repo.update_guild_settings(session, GUILD_ID, {"review_mode": "all", "review_channel": 5})
            session.commit()
    options = {"avatar": source, **({"name": "!!!"} if setup == "bad-name" else {})}
    payload = command("avatar", "pack", options)
    seen = len(fake_discord.calls)
    feed(offline_bot, payload)
    answer = await until(lambda: by_token(fake_discord, payload["token"], seen, "POST"))
    assert answer[0].flags & EPHEMERAL and expected in answer[0].content
    assert [j for j in jobs(bot_sessions) if j.kind == "pack"] == []


async def test_emojis_are_added_with_the_chosen_names(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    _, members, _, _ = await made_pack(offline_bot, fake_discord, bot_sessions, bot_images, name="mochi")

    answer = await press(
        offline_bot,
        fake_discord,
        f"pack:emojis:{members[0].id}:mochi",
        permissions=EXPRESSIONS,
        app_permissions=EXPRESSIONS,
    )

    assert answer.flags & EPHEMERAL
    assert answer.content == "Added 3 emojis: :mochi_happy:, :mochi_sad:, :mochi_surprised:."
    uploads = fake_discord.matching("POST", rf"/guilds/{GUILD_ID}/emojis")
    assert [u.json["name"] for u in uploads] == ["mochi_happy", "mochi_sad", "mochi_surprised"]
    assert all(u.json["image"].startswith("data:image/png;base64,") for u in uploads)


@pytest.mark.parametrize(
    ("member", "bot", "expected"),
    [
        (discord.Permissions(send_messages=True), EXPRESSIONS, "You need the Create Expressions permission"),
        (EXPRESSIONS, discord.Permissions(send_messages=True), "I need the Create Expressions"),
        (
            discord.Permissions(send_messages=True, manage_expressions=True),
            discord.Permissions(send_messages=True),
            "I need the Create Expressions",
        ),
    ],
)
async def test_missing_permissions_are_said_before_any_upload(
    member, bot, expected, offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    _, members, _, _ = await made_pack(offline_bot, fake_discord, bot_sessions, bot_images)
    answer = await press(
        offline_bot, fake_discord, f"pack:emojis:{members[0].id}:x1", permissions=member, app_permissions=bot
    )
    assert answer.flags & EPHEMERAL and expected in answer.content
    assert fake_discord.matching("POST", rf"/guilds/{GUILD_ID}/emojis") == []


async def test_full_slots_and_taken_names_are_refused_before_any_upload(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    _, members, _, _ = await made_pack(offline_bot, fake_discord, bot_sessions, bot_images, name="mochi")
    for i in range(48):
        fake_discord.add_emoji(f"old{i}")
    fake_discord.add_emoji("party", animated=True)  # animated emojis have their own slots
    custom_id = f"pack:emojis:{members[0].id}:mochi"

    answer = await press(offline_bot, fake_discord, custom_id, permissions=EXPRESSIONS, app_permissions=EXPRESSIONS)
    assert "has 2 of its 50 emoji slots free (boost level 0); the pack needs 3" in answer.content

    fake_discord.premium_tier = 1  # 100 slots
    fake_discord.add_emoji("mochi_sad")
    answer = await press(offline_bot, fake_discord, custom_id, permissions=EXPRESSIONS, app_permissions=EXPRESSIONS)
    assert "already taken on this server: mochi_sad" in answer.content
    assert fake_discord.matching("POST", rf"/guilds/{GUILD_ID}/emojis") == []


@pytest.mark.parametrize(
    ("answer", "after", "expected"),
    [
        (
            MAX_EMOJIS,
            3,
            "Added 3 of 5: mochi_happy, mochi_neutral, mochi_sad; the next one, mochi_surprised, "
            "failed because the server has reached its maximum number of emojis. The rest were not tried.",
        ),
        (
            MISSING_PERMISSIONS,
            0,
            "No emoji was added: the first, mochi_happy, failed because I am missing permissions on this server.",
        ),
        (
            INVALID_FORM_BODY,
            1,
            "Added 1 of 5: mochi_happy; the next one, mochi_neutral, failed because Discord "
            "refused the name or the picture (invalid form body). The rest were not tried.",
        ),
    ],
)
async def test_a_failed_upload_says_which_were_added(
    answer, after, expected, offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    _, members, _, _ = await made_pack(
        offline_bot, fake_discord, bot_sessions, bot_images, spec=ADVENTURER, name="mochi"
    )
    fake_discord.fail_with("POST", rf"/guilds/{GUILD_ID}/emojis", answer, after=after)

    reply = await press(
        offline_bot,
        fake_discord,
        f"pack:emojis:{members[0].id}:mochi",
        permissions=EXPRESSIONS,
        app_permissions=EXPRESSIONS,
    )

    assert reply.flags & EPHEMERAL and reply.content == expected
    assert len(fake_discord.matching("POST", rf"/guilds/{GUILD_ID}/emojis")) == after + 1


async def test_stickers_are_offered_for_download_and_added_one_by_one(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    _, members, _, _ = await made_pack(offline_bot, fake_discord, bot_sessions, bot_images, name="mochi")

    offer = await press(offline_bot, fake_discord, f"pack:stickers:{members[0].id}:mochi")
    assert offer.flags & EPHEMERAL
    assert [n for n, _ in offer.files] == [f"mochi_{e}-sticker.png" for e in ("happy", "sad", "surprised")]
    assert all(Image.open(io.BytesIO(data)).size == (320, 320) for _, data in offer.files)
    sticker_ids = [b["custom_id"] for b in offer.json["data"]["components"][0]["components"]]
    assert sticker_ids == [f"pack:sticker:{m.id}:mochi" for m in members]

    added = await press(offline_bot, fake_discord, sticker_ids[1], permissions=EXPRESSIONS, app_permissions=EXPRESSIONS)
    assert added.content == "Added the sticker “mochi sad”."
    [upload] = fake_discord.matching("POST", rf"/guilds/{GUILD_ID}/stickers")
    assert upload.json["name"] == "mochi sad" and upload.json["tags"] == "\N{CRYING FACE}"
    assert Image.open(io.BytesIO(upload.files[0][1])).size == (320, 320)

    again = await press(offline_bot, fake_discord, sticker_ids[1], permissions=EXPRESSIONS, app_permissions=EXPRESSIONS)
    assert "A sticker named “mochi sad” already exists" in again.content
    for i in range(4):
        fake_discord.add_sticker(f"old {i}")
    full = await press(offline_bot, fake_discord, sticker_ids[0], permissions=EXPRESSIONS, app_permissions=EXPRESSIONS)
    assert "no sticker slot free (5 of 5 used at boost level 0)" in full.content
    fake_discord.premium_tier = 1
    fake_discord.fail_with("POST", rf"/guilds/{GUILD_ID}/stickers", MAX_STICKERS)
    refused = await press(
        offline_bot, fake_discord, sticker_ids[0], permissions=EXPRESSIONS, app_permissions=EXPRESSIONS
    )
    assert refused.content == (
        "The sticker “mochi happy” was not added because the server has reached its maximum number of stickers."
    )


async def test_someone_elses_pack_cannot_be_uploaded(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    _, members, _, _ = await made_pack(offline_bot, fake_discord, bot_sessions, bot_images)
    answer = await press(
        offline_bot,
        fake_discord,
        f"pack:emojis:{members[0].id}:x1",
        permissions=EXPRESSIONS,
        app_permissions=EXPRESSIONS,
        user_id=OTHER_ID,
    )
    assert answer.flags & EPHEMERAL and "is not yours" in answer.content


async def test_a_pack_not_done_in_time_says_where_it_will_be(
    offline_bot, fake_discord, bot_sessions, bot_images, monkeypatch
) -> None:
    from bot.packs import handlers

    monkeypatch.setattr(handlers, "WAIT_S", 0.2)
    source = own_avatar(bot_sessions, bot_images)
    payload = command("avatar", "pack", {"avatar": source})
    seen = len(fake_discord.calls)
    feed(offline_bot, payload)
    edits = await until(
        lambda: (
            len(by_token(fake_discord, payload["token"], seen, "PATCH")) >= 2
            and by_token(fake_discord, payload["token"], seen, "PATCH")
        )
    )
    assert "still being drawn; it will appear in /avatar history" in edits[-1].content


async def test_a_member_that_failed_is_named_and_the_rest_shown(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    source = own_avatar(bot_sessions, bot_images)
    payload = command("avatar", "pack", {"avatar": source})
    seen = len(fake_discord.calls)
    feed(offline_bot, payload)
    await until(lambda: by_token(fake_discord, payload["token"], seen, "PATCH"))
    members = [j for j in jobs(bot_sessions) if j.kind == "pack"]
    finish_job(bot_sessions, bot_images, members[0].id)
    finish_job(bot_sessions, bot_images, members[1].id, error="the generator failed while drawing the avatar")
    finish_job(bot_sessions, bot_images, members[2].id)
    [sheet] = await until(lambda: [c for c in by_token(fake_discord, payload["token"], seen, "PATCH") if c.files])
    assert "Not drawn: sad (the generator failed while drawing the avatar)." in sheet.json["content"]
    assert [b["label"] for b in buttons(sheet)][:2] == ["happy", "surprised"]
