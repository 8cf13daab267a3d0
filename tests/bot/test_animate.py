"""/avatar animate: a queued job of kind animation (spec and seed of the avatar, the motion in its
params); refusals as ephemeral sentences; the finished loop delivered as an animated WebP plus a
sticker-sized APNG."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from core.db.models import Job
from core.db.repositories import claim_jobs, create_jobs, mark_done
from core.export.encode import STICKER_LIMIT_BYTES, encode_apng
from core.spec import parse_spec
from tests.bot.fake_discord import EPHEMERAL, GUILD_ID, MEMBER_ID, command, feed
from tests.bot.jobs import finish_job, job
from tests.bot.test_delivery import ORIGINAL, answered

OTHER_ID = MEMBER_ID + 1


def _avatar(sessions, images, owner: int = MEMBER_ID, spec: dict | None = None) -> int:
    with sessions() as session:
        [row] = create_jobs(
            session,
            owner_id=owner,
            spec=parse_spec(spec or {"style": "lorelei", "expression": "neutral"}),
            seeds=[5],
            backend="builtin",
            guild_id=GUILD_ID,
        )
        session.commit()
        job_id = row.id
    return finish_job(sessions, images, job_id)


async def _run(bot, fake, options: dict, **kwargs):
    payload = command("avatar", "animate", options, **kwargs)
    seen = len(fake.calls)
    feed(bot, payload)
    return payload, await answered(fake, payload["token"], seen)


def _newest(sessions) -> Job:
    with sessions() as session:
        return session.scalars(select(Job).order_by(Job.id.desc())).first()


async def test_animate_queues_an_animation_job(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    source = _avatar(bot_sessions, bot_images)
    _, reply = await _run(offline_bot, fake_discord, {"avatar": source, "motion": "smile"})
    assert reply.json["content"].startswith(f"Animating avatar #{source}: smile.")
    made = _newest(bot_sessions)
    assert (made.kind, made.parent_id, made.seed, made.params) == ("animation", source, 5, {"motion": "smile"})
    assert made.spec == job(bot_sessions, source).spec


async def test_animate_refusals_are_ephemeral_sentences(offline_bot, fake_discord, bot_sessions, bot_images) -> None:
    theirs = _avatar(bot_sessions, bot_images, OTHER_ID)
    micah = _avatar(bot_sessions, bot_images, spec={"style": "micah", "expression": "sad"})
    before = _newest(bot_sessions).id
    _, refused = await _run(offline_bot, fake_discord, {"avatar": theirs})
    assert refused.flags & EPHEMERAL and "you can animate only your own avatars" in refused.content
    _, refused = await _run(offline_bot, fake_discord, {"avatar": micah, "motion": "blink"})
    assert refused.flags & EPHEMERAL
    assert "micah style cannot draw the wink expression that blink needs; try smile or bounce" in refused.content
    assert _newest(bot_sessions).id == before  # nothing stored


async def test_a_finished_animation_is_delivered_as_webp_and_sticker(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    source = _avatar(bot_sessions, bot_images)
    await _run(offline_bot, fake_discord, {"avatar": source, "motion": "bounce"})
    made = _newest(bot_sessions).id
    frames = [Image.new("RGB", (256, 256), (200, 10 * i, 120)) for i in range(16)]
    key = bot_images.put_bytes(encode_apng(frames, [150] * 16, {"job_id": str(made)}))
    with bot_sessions() as session:
        claim_jobs(session, made, worker_id="test-worker", backend="builtin")
        mark_done(session, made, image_key=key, model_version="test")
        session.commit()
    seen = len(fake_discord.calls)
    assert await offline_bot.courier.handle_job(made) == "deliver"
    [edit] = [c for c in fake_discord.calls[seen:] if c.matches("PATCH", ORIGINAL)]
    names = [name for name, _ in edit.files]
    assert names == [f"avatar-{made}.webp", f"avatar-{made}-sticker.png"]
    assert edit.json["embeds"][0]["image"]["url"] == f"attachment://avatar-{made}.webp"
    webp, sticker = (data for _, data in edit.files)
    with Image.open(io.BytesIO(webp)) as inline:
        assert inline.format == "WEBP" and inline.n_frames == 16
    with Image.open(io.BytesIO(sticker)) as apng:
        assert apng.size == (320, 320) and apng.n_frames == 16
    assert len(sticker) <= STICKER_LIMIT_BYTES
