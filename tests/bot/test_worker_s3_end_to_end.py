"""Bot and worker on "different hosts": they share the database and the broker but no folder. A real
`avatarbot worker` process renders with tiny weights into an S3 bucket (moto's server, tests/s3_server.py),
and the bot delivers the picture it reads back from the bucket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.images import ImageStore
from core.notify import PollingNotifier
from core.s3_images import S3ImageStore
from core.settings import Settings
from tests.bot.fake_discord import FakeDiscord, command, feed
from tests.bot.jobs import job, jobs
from tests.bot.test_delivery import answered
from tests.bot.test_worker_end_to_end import Worker, _delivered, running_stack
from tests.s3_server import new_bucket, s3_values

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str
) -> Iterator[tuple[Settings, sessionmaker[Session], Worker]]:
    with running_stack(tmp_path_factory.mktemp("bot-worker-s3"), s3_values(s3_endpoint, new_bucket(s3_endpoint))) as up:
        yield up


@pytest.fixture
def bot_settings(stack) -> Settings:  # the conftest's bot fixtures (bot_images too) follow these settings
    return stack[0]


@pytest.fixture
def bot_sessions(stack) -> sessionmaker[Session]:
    return stack[1]


async def test_a_worker_renders_into_s3_and_the_bot_delivers_from_it(
    start_bot, fake_discord: FakeDiscord, stack, bot_images: ImageStore
) -> None:
    settings, sessions, worker = stack
    assert isinstance(bot_images, S3ImageStore)
    bot = await start_bot(notifier=PollingNotifier(sessions, interval_s=0.1))
    payload = command("avatar", "create", {"style": "micah", "seed": 11})
    feed(bot, payload)
    await answered(fake_discord, payload["token"], 0)

    result = await _delivered(fake_discord, payload["token"], worker)
    made = job(sessions, jobs(sessions)[-1].id)
    assert made.status == "done" and made.delivered_at is not None
    stored = bot_images.read_bytes(made.image_key)
    assert result.files == ((f"avatar-{made.id}.png", stored),)
    assert bot_images.read_metadata(made.image_key)["job_id"] == str(made.id)
    key = made.image_key
    assert bot_images.object_name(key) == f"{key[:2]}/{key[2:4]}/{key}.png"
    # Nothing went through a shared folder: the worker's local image folder was never made.
    assert not settings.resolved_image_dir.exists()
