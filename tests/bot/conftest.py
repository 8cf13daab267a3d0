"""Fixtures for driving the real bot offline against the local Discord stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord.http import Route

from bot.app import AvatarBot, build_bot
from db.settings import Settings
from tests.bot.fake_discord import APPLICATION_ID, FakeDiscord, settle


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def offline_bot(fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AvatarBot]:
    """The real bot, logged in against the stand-in (no gateway): feed it interactions."""
    monkeypatch.setattr(Route, "BASE", Route.BASE)  # put back after the test, whatever happens
    bot = build_bot(Settings(discord_application_id=APPLICATION_ID), http_base=fake_discord.api_base)
    await bot.login("offline-test-token")
    try:
        yield bot
        await settle()
    finally:
        await bot.close()
