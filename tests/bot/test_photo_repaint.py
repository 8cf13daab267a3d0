"""/avatar photo with the Stable Diffusion backend: image-to-image needs the photo in the worker, so
the bot keeps one clean copy (no metadata) for it, and says it goes once the avatar is drawn
(tests/generator/test_sd_backend.py checks the worker deletes it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.bot.fake_discord import APPLICATION_ID, EPHEMERAL
from tests.bot.jobs import jobs
from tests.bot.test_photo import astronaut_png, photo_command, run  # noqa: F401 (astronaut_png is a fixture)


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, broker_url="filesystem", discord_application_id=APPLICATION_ID, backend="stable-diffusion"
    )


async def test_the_photo_is_kept_clean_for_the_worker_with_the_read_spec(
    offline_bot, fake_discord, bot_sessions, bot_images, astronaut_png  # noqa: F811
) -> None:
    answer = await run(offline_bot, fake_discord, photo_command(fake_discord, astronaut_png, {"style": "micah"}))

    assert not answer.flags & EPHEMERAL
    [made] = jobs(bot_sessions)
    assert made.kind == "photo" and made.backend == "stable-diffusion" and made.spec["style"] == "micah"
    assert made.photo_reading["read"] and all(made.spec[a] == v for a, v in made.photo_reading["read"].items()
                                               if a in made.spec and made.spec[a] is not None)
    key = made.params["source_image_key"]
    assert bot_images.read_metadata(key).get("ai_generated") is None  # a person's upload is not marked as AI
    assert bot_images.open(key).size == (512, 512)
    assert "deleted as soon as it is done; it is never kept with the avatar" in answer.json["content"]
