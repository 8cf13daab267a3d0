"""/avatar photo on the built-in backend: the bot reads the photo where it arrives, makes an
ordinary spec of what was read (overridden by the options), keeps only the reading, and lets the
person correct it without uploading again."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from bot import i18n
from bot.ui.buttons import result_view
from bot.ui.cards import avatar_embed, card_of
from core.db import repositories as repo
from core.spec import parse_spec
from photo import PhotoReader, describe_read, reading_to_spec
from tests.bot.fake_discord import (
    CHANNEL_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    MEMBER_ID,
    FakeDiscord,
    button_press,
    command,
    feed,
    select_choice,
)
from tests.bot.jobs import finish_job, job, jobs, reply_of
from tests.bot.test_delivery import answered

OTHER_ID = MEMBER_ID + 1


def png_bytes(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def astronaut_png() -> bytes:
    return png_bytes(samples.astronaut())


@pytest.fixture(scope="module")
def astronaut_read(astronaut_png: bytes) -> dict[str, str]:
    return dict(PhotoReader().read(Image.open(io.BytesIO(astronaut_png))).read)


def photo_command(fake: FakeDiscord, data: bytes, options: dict | None = None, *, locale: str = "en-US") -> dict:
    attachment_id = "1300000000000000002"
    url = fake.file_url("me.png", data)
    resolved = {
        "attachments": {
            attachment_id: {
                "id": attachment_id, "filename": "me.png", "size": len(data), "url": url, "proxy_url": url,
                "content_type": "image/png",
            }
        }
    }
    return command(
        "avatar", "photo", {"image": attachment_id, **(options or {})}, resolved=resolved,
        option_types={"image": 11}, locale=locale,
    )


async def run(bot, fake: FakeDiscord, payload: dict):
    seen = len(fake.calls)
    feed(bot, payload)
    return await answered(fake, payload["token"], seen)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_a_photo_becomes_a_spec_of_what_was_read_and_is_not_kept(
    offline_bot, fake_discord, bot_sessions, bot_images, astronaut_png, astronaut_read, caplog
) -> None:
    assert {"hair_color", "skin", "expression"} <= set(astronaut_read)
    chosen_colour = "pink" if astronaut_read["hair_color"] != "pink" else "green"
    payload = photo_command(fake_discord, astronaut_png, {"style": "lorelei", "hair_color": chosen_colour})

    answer = await run(offline_bot, fake_discord, payload)

    assert answer.path.endswith("/messages/@original") and not answer.flags & EPHEMERAL
    [made] = jobs(bot_sessions)
    assert made.kind == "photo" and made.seed is not None
    # What was read, overridden by what was chosen: an ordinary spec the built-in model draws.
    assert made.spec["style"] == "lorelei" and made.spec["hair_color"] == chosen_colour
    expected = reading_to_spec(PhotoReader().read(Image.open(io.BytesIO(astronaut_png))),
                               {"style": "lorelei", "hair_color": chosen_colour})
    assert parse_spec(made.spec) == expected
    assert made.spec["skin"] == astronaut_read["skin"]
    # The job keeps the reading (values and confidences), never the photo.
    assert made.photo_reading["read"] == astronaut_read
    assert set(made.photo_reading["confidence"]) >= set(astronaut_read)
    assert "source_image_key" not in made.params
    assert stored_files(bot_images.root) == []
    # The reply says what was read and that the photo is gone.
    content = answer.json["content"]
    assert content.startswith("Making your avatar from your photo: style lorelei")
    assert f"Read from your photo: {describe_read(astronaut_read)}." in content
    assert "Your photo was deleted after reading; only what was read is kept." in content
    assert reply_of(bot_sessions, made.request_id).summary in content
    assert not [r for r in caplog.records if "me.png" in r.getMessage() or "/attachments/" in r.getMessage()]


async def test_a_photo_without_a_face_is_refused_ephemerally_and_makes_no_job(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    plain = png_bytes(np.full((200, 160, 3), (90, 160, 220), dtype=np.uint8))

    answer = await run(offline_bot, fake_discord, photo_command(fake_discord, plain))

    assert answer.flags & EPHEMERAL
    assert answer.content.startswith("I could not find a face in this photo")
    assert "your photo was not kept" in answer.content
    assert fake_discord.matching("DELETE", r"/webhooks/.*/messages/@original")  # the public "thinking" went away
    assert jobs(bot_sessions) == [] and stored_files(bot_images.root) == []


async def test_a_photo_of_two_people_is_refused_in_the_users_language(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    two = png_bytes(np.concatenate([samples.astronaut(), samples.astronaut()], axis=1))

    english = await run(offline_bot, fake_discord, photo_command(fake_discord, two))
    chinese = await run(offline_bot, fake_discord, photo_command(fake_discord, two, locale="zh-CN"))

    assert english.flags & EPHEMERAL and english.content.startswith("I found 2 faces of similar size")
    assert chinese.flags & EPHEMERAL and chinese.content == i18n.text("zh-CN", "photo.several_faces", count=2)
    assert "2" in chinese.content and "faces" not in chinese.content
    assert jobs(bot_sessions) == [] and stored_files(bot_images.root) == []


async def test_a_bad_option_is_refused_before_the_photo_is_read(offline_bot, fake_discord, bot_sessions) -> None:
    seen = len(fake_discord.calls)
    feed(offline_bot, photo_command(fake_discord, b"never read", {"glasses": "monocle"}))
    [answer] = await _callbacks(fake_discord, seen)
    assert answer.callback_type == CHANNEL_MESSAGE and answer.flags & EPHEMERAL and "monocle" in answer.content
    assert jobs(bot_sessions) == []


def _photo_avatar(sessions, store, read: dict[str, str], *, owner: int = MEMBER_ID) -> int:
    spec = parse_spec({"style": "lorelei", **read})
    with sessions() as session:
        [made] = repo.create_jobs(
            session, owner_id=owner, spec=spec, seeds=[4242], backend="builtin", kind="photo", guild_id=GUILD_ID,
            photo_reading={"read": read, "confidence": {a: 0.9 for a in read}},
        )
        session.commit()
        job_id = made.id
    return finish_job(sessions, store, job_id)


async def test_the_result_card_says_what_was_read_and_offers_to_edit_it(bot_sessions, bot_images) -> None:
    read = {"hair_color": "black", "hair": "long", "glasses": "glasses", "expression": "happy"}
    job_id = _photo_avatar(bot_sessions, bot_images, read)
    card = card_of(job(bot_sessions, job_id))

    embed = avatar_embed(card, "en-US")
    [field] = [f for f in embed.fields if f.name == "Read from your photo"]
    deleted = "Your photo was deleted after reading; only what was read is kept."
    assert field.value == f"black long hair, glasses, smiling\n{deleted}"
    chinese = avatar_embed(card, "zh-CN")
    assert i18n.text("zh-CN", "photo.deleted") in chinese.fields[-1].value

    ids = [item.custom_id for item in result_view(card.id, "en-US", from_photo=True).children]
    assert f"avatar:edit:{job_id}" in ids
    assert f"avatar:edit:{job_id}" not in [i.custom_id for i in result_view(card.id, "en-US").children]


async def test_edit_what_was_read_draws_it_again_with_one_attribute_changed(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    read = {"hair_color": "black", "hair": "long", "expression": "happy"}
    source = _photo_avatar(bot_sessions, bot_images, read)

    seen = len(fake_discord.calls)
    feed(offline_bot, button_press(f"avatar:edit:{source}", user_id=OTHER_ID))
    [editor] = [c for c in await _callbacks(fake_discord, seen)]
    assert editor.callback_type == CHANNEL_MESSAGE and editor.flags & EPHEMERAL
    data = editor.json["data"]
    assert f"avatar #{source} again with the same seed" in data["content"]
    menus = {row["components"][0]["custom_id"]: row["components"][0] for row in data["components"]}
    assert list(menus) == [f"avatar:fix:{a}:{source}" for a in ("hair_color", "hair", "skin", "expression", "glasses")]
    hair_colour = menus[f"avatar:fix:hair_color:{source}"]
    assert hair_colour["placeholder"] == "hair colour: black"
    assert [o["value"] for o in hair_colour["options"] if o.get("default")] == ["black"]
    assert menus[f"avatar:fix:skin:{source}"]["placeholder"] == "skin: not read"

    answer = await run(offline_bot, fake_discord, select_choice(f"avatar:fix:hair_color:{source}", ["white"],
                                                                 user_id=OTHER_ID))

    assert answer.json["content"].startswith(f"Making avatar #{source} again with hair colour white (same seed).")
    made = jobs(bot_sessions)[-1]
    original = job(bot_sessions, source)
    assert (made.kind, made.parent_id, made.seed, made.owner_id) == ("photo", source, original.seed, OTHER_ID)
    assert made.spec == {**original.spec, "hair_color": "white"}
    assert made.photo_reading == original.photo_reading and "source_image_key" not in made.params


async def test_edit_is_refused_for_an_avatar_not_made_from_a_photo(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    with bot_sessions() as session:
        [made] = repo.create_jobs(session, owner_id=MEMBER_ID, spec=parse_spec({}), seeds=[1], backend="builtin")
        session.commit()
        plain = finish_job(bot_sessions, bot_images, made.id)
    answer = await run(offline_bot, fake_discord, select_choice(f"avatar:fix:hair:{plain}", ["long"]))
    assert answer.flags & EPHEMERAL and "was not made from a photo" in answer.content
    assert len(jobs(bot_sessions)) == 1


async def _callbacks(fake: FakeDiscord, after: int, timeout: float = 10.0):
    call = await fake.wait_for("POST", r"/interactions/.*/callback", after=after, timeout=timeout)
    return [call]
