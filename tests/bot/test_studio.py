"""The bot's database-and-queue work for /avatar create, on a real SQLite database and broker folder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.replies.errors import Refusal
from bot.requests.studio import CreateOrder, Studio
from core.db.models import Job
from core.db.repositories import update_guild_settings
from core.spec import parse_spec

GUILD, CHANNEL, USER = 10, 20, 30


@pytest.fixture
def studio(bot_settings, bot_sessions, producer) -> Studio:
    return Studio(bot_settings, bot_sessions, producer)


def _order(spec: dict, *, guild: int | None = GUILD, owner: int = USER) -> CreateOrder:
    return CreateOrder(owner_id=owner, spec=parse_spec(spec), guild_id=guild, channel_id=CHANNEL, private=False)


def _configure(bot_sessions, **settings) -> None:
    with bot_sessions() as session:
        update_guild_settings(session, GUILD, settings)
        session.commit()


def test_queue_place_counts_earlier_requests(studio: Studio, sent_messages) -> None:
    first = studio.create(_order({"count": 2}))
    second = studio.create(_order({}, guild=None, owner=USER + 1))
    assert (first.ahead, second.ahead, second.workers) == (0, 2, 0)
    assert sent_messages() == 3


def test_a_blocked_channel_is_refused(studio: Studio, bot_sessions) -> None:
    _configure(bot_sessions, blocked_channels=[CHANNEL])
    with pytest.raises(Refusal, match="switched off in this channel"):
        studio.create(_order({}))
    studio.create(_order({}, guild=None))  # direct messages have no server rules


def test_only_allowed_styles_are_made(studio: Studio, bot_sessions) -> None:
    _configure(bot_sessions, allowed_styles=["micah"])
    with pytest.raises(Refusal, match="only these styles: micah"):
        studio.create(_order({"style": "lorelei"}))
    queued = studio.create(_order({"hair": "long"}))
    with bot_sessions() as session:
        assert session.get(Job, queued.job_ids[0]).spec["style"] == "micah"


def test_a_backend_the_server_does_not_allow_is_refused(studio: Studio, bot_sessions) -> None:
    _configure(bot_sessions, allowed_backends=["stable-diffusion"])
    with pytest.raises(Refusal, match="does not allow the builtin generator"):
        studio.create(_order({}))


def test_concurrent_and_daily_limits(studio: Studio, bot_sessions, sent_messages) -> None:
    _configure(bot_sessions, concurrent_limit=3, daily_limit=4)
    studio.create(_order({"count": 3}))
    with pytest.raises(Refusal, match="already have 3 avatar"):
        studio.create(_order({}))
    with bot_sessions() as session:  # pretend they finished
        for job in session.query(Job):
            job.status = "done"
        session.commit()
    with pytest.raises(Refusal, match="made 3 of your 4 avatars for today"):
        studio.create(_order({"count": 2}))
    tomorrow = datetime(2999, 1, 1, tzinfo=UTC)
    studio.create(_order({"count": 2}), now=tomorrow)  # the quota counts from midnight UTC
    assert sent_messages() == 5


def test_private_or_server_default_visibility(studio: Studio, bot_sessions) -> None:
    _configure(bot_sessions, default_visibility="private")
    queued = studio.create(_order({}))
    public_elsewhere = studio.create(_order({}, guild=None, owner=USER + 1))
    with bot_sessions() as session:
        assert session.get(Job, queued.job_ids[0]).visibility == "private"
        assert session.get(Job, public_elsewhere.job_ids[0]).visibility == "public"
