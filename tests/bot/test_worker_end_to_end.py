"""The bot with a real `avatarbot worker` process: create -> rendered -> delivered; re-roll and vary
from the result's buttons; a bot restart while a job renders.

Embedded stack (SQLite + filesystem broker) in a folder of this module; the worker renders with
tiny random weights of the built-in architecture in 2 steps, and its notifications are the
committed rows (the bot polls for them).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from core.db.models import Favourite
from core.notify import PollingNotifier
from core.settings import Settings
from tests.bot.fake_discord import APPLICATION_ID, FakeDiscord, button_press, command, feed
from tests.bot.jobs import job, jobs
from tests.bot.test_delivery import answered

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STARTUP_TIMEOUT_S = 120.0
RENDER_TIMEOUT_S = 120.0


class Worker:
    """An `avatarbot worker` subprocess configured by AVATARBOT_* variables, logging to a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "avatarbot", "worker"], env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def wait_registered(self, sessions: sessionmaker[Session]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.log_tail()}")
            with sessions() as session:
                if any(w.pid == self.process.pid for w in repo.live_workers(session, dead_after_s=3600)):
                    return
            time.sleep(0.2)
        raise AssertionError(f"the worker did not register:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@contextmanager
def running_stack(
    root: Path, extra: Mapping[str, str] = MappingProxyType({})
) -> Iterator[tuple[Settings, sessionmaker[Session], Worker]]:
    """Settings, sessions and a registered worker of an embedded stack under `root`; `extra` adds or
    replaces AVATARBOT_* variables (for the bot's Settings and the worker's environment alike)."""
    weights = root / "weights"
    values = {
        "AVATARBOT_DATA_DIR": str(root / "data"),
        "AVATARBOT_BROKER_URL": "filesystem",
        "AVATARBOT_BUILTIN_WEIGHTS": str(weights),
        "AVATARBOT_NUM_INFERENCE_STEPS": "2",
        "AVATARBOT_WORKER_HEARTBEAT_S": "0.5",
        "AVATARBOT_RECONCILE_EVERY_S": "3600",
        "AVATARBOT_LOG_LEVEL": "INFO",
        **extra,
    }
    settings = Settings(
        **{k.removeprefix("AVATARBOT_").lower(): v for k, v in values.items()}, discord_application_id=APPLICATION_ID
    )
    upgrade(settings.resolved_database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARBOT_")} | values
    # The weights are built while the worker starts: it loads them only for its first job.
    build = subprocess.Popen(
        [sys.executable, "-m", "tests.generator.tiny_chibi", str(weights)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    worker = Worker(env, root / "worker.log")
    engine = make_engine(settings.resolved_database_url)
    sessions = make_session_factory(engine)
    try:
        _, errors = build.communicate(timeout=STARTUP_TIMEOUT_S)
        assert build.returncode == 0, errors
        worker.wait_registered(sessions)
        yield settings, sessions, worker
    finally:
        worker.stop()
        engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, sessionmaker[Session], Worker]]:
    with running_stack(tmp_path_factory.mktemp("bot-worker-stack")) as running:
        yield running


@pytest.fixture
def bot_settings(stack) -> Settings:  # the conftest's bot fixtures now point at the worker's stack
    return stack[0]


@pytest.fixture
def bot_sessions(stack) -> sessionmaker[Session]:
    return stack[1]


async def _delivered(fake: FakeDiscord, token: str, worker: Worker, *, after: int = 0):
    """The message with a picture sent with an interaction's token (edit of its reply or a follow-up)."""
    deadline = time.monotonic() + RENDER_TIMEOUT_S
    while time.monotonic() < deadline:
        for call in fake.calls[after:]:
            if token in call.path and call.files:
                return call
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing delivered; worker log:\n{worker.log_tail()}")


async def test_create_is_rendered_by_a_worker_and_delivered_with_working_buttons(
    start_bot, fake_discord: FakeDiscord, stack, bot_images
) -> None:
    _, sessions, worker = stack
    bot = await start_bot(notifier=PollingNotifier(sessions, interval_s=0.1))
    payload = command("avatar", "create", {"style": "micah", "seed": 7})
    feed(bot, payload)
    first = await answered(fake_discord, payload["token"], 0)
    assert "Place in the queue: 1." in first.json["content"]

    result = await _delivered(fake_discord, payload["token"], worker)
    [made] = jobs(sessions)
    made = job(sessions, made.id)
    assert made.status == "done" and made.delivered_at is not None
    assert result.path.endswith("/messages/@original") and result.json["content"] == f"Avatar #{made.id} is ready."
    assert result.files == ((f"avatar-{made.id}.png", bot_images.read_bytes(made.image_key)),)
    assert bot_images.read_metadata(made.image_key)["job_id"] == str(made.id)

    # The result's Re-roll and Vary buttons: new jobs with their parent, rendered and delivered too.
    for action, kind in (("reroll", "reroll"), ("vary", "variation")):
        press = button_press(f"avatar:{action}:{made.id}")
        seen = len(fake_discord.calls)
        feed(bot, press)
        delivered = await _delivered(fake_discord, press["token"], worker, after=seen)
        child = jobs(sessions)[-1]
        assert (child.kind, child.parent_id, child.status) == (kind, made.id, "done")
        assert delivered.files[0][0] == f"avatar-{child.id}.png"
        assert bot_images.read_bytes(child.image_key) != bot_images.read_bytes(made.image_key)


async def test_a_result_that_finished_while_the_bot_was_down_is_delivered_once_after_restart(
    start_bot, fake_discord: FakeDiscord, stack
) -> None:
    _, sessions, worker = stack
    down = await start_bot()  # no notifier: this bot never hears that the job finished
    payload = command("avatar", "create", {"style": "lorelei"})
    feed(down, payload)
    await answered(fake_discord, payload["token"], 0)
    job_id = jobs(sessions)[-1].id
    await down.close()

    deadline = time.monotonic() + RENDER_TIMEOUT_S
    while job(sessions, job_id).status != "done":
        assert time.monotonic() < deadline, worker.log_tail()
        await asyncio.sleep(0.1)
    assert not [c for c in fake_discord.calls if c.files]

    restarted = await start_bot(notifier=PollingNotifier(sessions, interval_s=0.1))
    result = await _delivered(fake_discord, payload["token"], worker)
    assert result.path == f"/webhooks/{APPLICATION_ID}/{payload['token']}/messages/@original"  # the stored token
    await restarted.courier.sweep()
    await restarted.courier.idle()
    assert len([c for c in fake_discord.calls if c.files]) == 1

    # A button of the message delivered before... by the new process: state comes from the database.
    press = button_press(f"avatar:save:{job_id}")
    feed(restarted, press)
    saved = await answered(fake_discord, press["token"], 0)
    assert saved.json["content"] == f"Saved avatar #{job_id} to your favourites."
    with sessions() as session:
        assert session.query(Favourite).filter_by(avatar_id=job_id).count() == 1
