"""/avatar export and frames, and the Export button: the file in the person's reply; refusals as
ephemeral sentences (someone else's avatar, one under review, a forged option)."""

from __future__ import annotations

import asyncio
import io

import numpy as np
from PIL import Image

from core.db.models import Job, ReviewState
from core.db.repositories import create_jobs
from core.spec import parse_spec
from tests.bot.fake_discord import EPHEMERAL, GUILD_ID, MEMBER_ID, button_press, command, feed
from tests.bot.jobs import finish_job
from tests.bot.test_delivery import answered
from tests.core.export.drawn_avatar import drawn_avatar

OTHER_ID = MEMBER_ID + 1


def _avatar(sessions, images, owner: int = MEMBER_ID, *, review: ReviewState | None = None) -> int:
    with sessions() as session:
        [row] = create_jobs(
            session,
            owner_id=owner,
            spec=parse_spec({"style": "micah", "background": "mint"}),
            seeds=[1],
            backend="builtin",
            guild_id=GUILD_ID,
        )
        session.commit()
        job_id = row.id
    finish_job(sessions, images, job_id)
    picture, _ = drawn_avatar()
    key = images.put_image(picture, {"spec": '{"background":"mint","style":"micah"}', "seed": "1"})
    with sessions() as session:
        row = session.get(Job, job_id)
        row.image_key = key
        if review is not None:
            row.review_state = review
        session.commit()
    return job_id


async def _run(bot, fake, sub: str, options: dict, **kwargs):
    payload = command("avatar", sub, options, **kwargs)
    seen = len(fake.calls)
    feed(bot, payload)
    return await answered(fake, payload["token"], seen)


async def test_export_answers_with_the_asked_file(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    avatar = _avatar(bot_sessions, bot_images)
    options = {"avatar": avatar, "background": "transparent", "shape": "circle", "frame": "stars", "size": 1024}
    reply = await _run(offline_bot, fake_discord, "export", options)
    [(name, data)] = reply.files
    assert name == f"avatar-{avatar}-1024-transparent-circle-stars.png"
    assert reply.content == f"Avatar #{avatar} as 1024 px, PNG, transparent background, circle, stars frame:"
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA" and image.size == (1024, 1024)
        assert np.asarray(image.getchannel("A"))[0, 0] == 0


async def test_export_webp_keeps_the_background(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    avatar = _avatar(bot_sessions, bot_images)
    reply = await _run(offline_bot, fake_discord, "export", {"avatar": avatar, "size": 128, "format": "webp"})
    [(name, data)] = reply.files
    with Image.open(io.BytesIO(data)) as image:
        assert name.endswith(".webp") and image.format == "WEBP" and image.size == (128, 128)


async def test_someone_elses_avatar_is_refused(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    theirs = _avatar(bot_sessions, bot_images, OTHER_ID)
    for sub, options in (("export", {"avatar": theirs}), ("frames", {"avatar": theirs})):
        reply = await _run(offline_bot, fake_discord, sub, options)
        assert reply.flags & EPHEMERAL and not reply.files
        assert reply.content == (
            f"Avatar #{theirs} does not exist or is not yours: you can export only your own avatars."
        )


async def test_an_avatar_under_review_is_refused(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    held = _avatar(bot_sessions, bot_images, review=ReviewState.PENDING)
    reply = await _run(offline_bot, fake_discord, "export", {"avatar": held})
    assert reply.flags & EPHEMERAL and "waiting for review" in reply.content and not reply.files


async def test_a_forged_frame_or_size_is_refused(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    avatar = _avatar(bot_sessions, bot_images)
    for options, named in (
        ({"avatar": avatar, "frame": "sparkle"}, "frame"),
        ({"avatar": avatar, "size": 4096}, "size"),
    ):
        payload = command("avatar", "export", options)
        seen = len(fake_discord.calls)
        feed(offline_bot, payload)
        for _ in range(500):
            [reply] = [c for c in fake_discord.calls[seen:] if c.path.endswith("/callback")] or [None]
            if reply is not None:
                break
            await asyncio.sleep(0.01)
        assert reply is not None and reply.flags & EPHEMERAL and not reply.files
        assert named in reply.content


async def test_frames_sheet(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    avatar = _avatar(bot_sessions, bot_images)
    reply = await _run(offline_bot, fake_discord, "frames", {"avatar": avatar})
    [(name, data)] = reply.files
    assert name == "frames.png"
    with Image.open(io.BytesIO(data)) as sheet:
        assert sheet.width > 600


async def test_export_button_gives_a_transparent_512(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    avatar = _avatar(bot_sessions, bot_images)
    payload = button_press(f"avatar:export:{avatar}")
    seen = len(fake_discord.calls)
    feed(offline_bot, payload)
    reply = await answered(fake_discord, payload["token"], seen)
    [(name, data)] = reply.files
    assert name == f"avatar-{avatar}-512-transparent.png"
    assert f"/avatar export avatar:{avatar}" in reply.content
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA" and image.size == (512, 512)
