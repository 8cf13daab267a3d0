"""Fixtures for driving the real bot offline against the local Discord stand-in.

The bot gets a real SQLite database at head (migrated once per session, copied per test) and a
real producer on the embedded filesystem broker in the test's folder: what it enqueues can be
counted as message files.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from discord.http import Route
from sqlalchemy.orm import Session, sessionmaker

from bot.app import AvatarBot, build_bot
from core.db.engine import make_engine, make_session_factory
from core.dispatch import filesystem_queue_dir, make_producer
from core.image_stores import make_image_store
from core.images import ImageStore
from core.settings import Settings
from tests.bot.fake_discord import APPLICATION_ID, FakeDiscord, settle
from tests.bot.jobs import finish_job


@pytest.fixture(autouse=True)
def no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose bot logged an error it did not expect (mark expected records `.expected`)."""
    caplog.set_level(logging.WARNING)
    yield
    # caplog.records would be this teardown's records only: read the setup's and the test's own.
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    unexpected = [r for r in records if r.levelno >= logging.ERROR and not getattr(r, "expected", False)]
    assert not unexpected, [r.getMessage() for r in unexpected]


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, broker_url="filesystem", discord_application_id=APPLICATION_ID)


@pytest.fixture
def bot_sessions(migrated_sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def producer(bot_settings: Settings) -> Iterator[Celery]:
    app = make_producer(bot_settings)
    yield app
    app.close()


@pytest.fixture
def sent_messages(bot_settings: Settings):
    """How many generate messages wait in the embedded broker's folder."""
    return lambda: len(list(filesystem_queue_dir(bot_settings).glob("*.msg")))


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The local stand-in for Discord's REST API. discord.py keeps its REST base on the Route class
    (process-wide), so only this fixture points it at the stand-in, and puts it back afterwards."""
    server = FakeDiscord()
    await server.start()
    monkeypatch.setattr(Route, "BASE", server.api_base)
    yield server
    await server.close()


@pytest.fixture
def bot_images(bot_settings: Settings) -> ImageStore:
    return make_image_store(bot_settings)


BotStarter = Callable[..., Awaitable[AvatarBot]]


@pytest.fixture
async def start_bot(
    fake_discord: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    bot_settings: Settings,
    bot_sessions: sessionmaker[Session],
    producer: Celery,
    bot_images: ImageStore,
) -> AsyncIterator[BotStarter]:
    """Builds and logs in bots against the stand-in and one database (call it again to 'restart').
    Every bot it made is closed after the test. Background delivery timers default to an hour, so
    tests drive delivery themselves (courier.handle_job, sweep, progress_tick)."""
    started: list[AvatarBot] = []

    async def start(
        *,
        notifier: Any = None,
        progress_every_s: float = 3600.0,
        sweep_every_s: float = 3600.0,
        settings: Settings | None = None,
    ) -> AvatarBot:
        bot = build_bot(
            settings or bot_settings,
            session_factory=bot_sessions,
            producer=producer,
            image_store=bot_images,
            notifier=notifier,
            progress_every_s=progress_every_s,
            sweep_every_s=sweep_every_s,
        )
        started.append(bot)
        await bot.login("offline-test-token")
        return bot

    try:
        yield start
        await settle()
        for bot in started:
            if bot.courier is not None and not bot.is_closed():
                await bot.courier.idle()
    finally:
        for bot in started:
            if not bot.is_closed():
                await bot.close()


@pytest.fixture
async def offline_bot(start_bot: BotStarter) -> AvatarBot:
    """The real bot, logged in against the stand-in (no gateway): feed it interactions."""
    return await start_bot()


@pytest.fixture
def finish(bot_sessions: sessionmaker[Session], bot_images: ImageStore) -> Callable[..., int]:
    """Finish a job as a worker would (claim, store a picture, mark done / flagged / failed)."""
    return lambda job_id, **kwargs: finish_job(bot_sessions, bot_images, job_id, **kwargs)
