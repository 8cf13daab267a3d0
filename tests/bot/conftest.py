"""Fixtures for driving the real bot offline against the local Discord stand-in.

The bot gets a real SQLite database at head (migrated once per session, copied per test) and a
real producer on the embedded filesystem broker in the test's folder: what it enqueues can be
counted as message files.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from celery import Celery
from discord.http import Route
from sqlalchemy.orm import Session, sessionmaker

from bot.app import AvatarBot, build_bot
from db.dispatch import filesystem_queue_dir, make_producer
from db.engine import make_engine, make_session_factory
from db.settings import Settings
from tests.bot.fake_discord import APPLICATION_ID, FakeDiscord, settle


@pytest.fixture(autouse=True)
def no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose bot logged an error it did not expect (mark expected records `.expected`)."""
    caplog.set_level(logging.WARNING)
    yield
    unexpected = [r for r in caplog.records if r.levelno >= logging.ERROR and not getattr(r, "expected", False)]
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
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def offline_bot(
    fake_discord: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    bot_settings: Settings,
    bot_sessions: sessionmaker[Session],
    producer: Celery,
) -> AsyncIterator[AvatarBot]:
    """The real bot, logged in against the stand-in (no gateway): feed it interactions."""
    monkeypatch.setattr(Route, "BASE", Route.BASE)  # put back after the test, whatever happens
    bot = build_bot(bot_settings, session_factory=bot_sessions, producer=producer, http_base=fake_discord.api_base)
    await bot.login("offline-test-token")
    try:
        yield bot
        await settle()
    finally:
        await bot.close()
