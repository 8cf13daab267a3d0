"""Two bot processes with different shard ids on one PostgreSQL database deliver every result
exactly once (issue 15, section 2).

Each bot is a real process (tests/bot/bot_host.py: built as `avatarbot bot` builds it, logged in
against the offline Discord stand-in run by this test), on shards 0 and 1 of 2. Interactions from
many guilds go to the process whose shard carries the guild, as Discord's gateway sends them. The
worker's part is played here: each job is finished in the database and announced on Redis pub/sub,
which both processes hear. Then every interaction must have received its picture once, and none
twice:

- both processes up: each delivers its own guilds' results (the shard filter);
- every process trying every job at once (takeover after 0 s, sweeps 5 times a second): still once
  each (the claims in the database);
- one process stopped: the other delivers its results after AVATARBOT_DELIVERY_TAKEOVER_S.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.engine import make_engine, make_session_factory
from core.db.models import Job
from core.image_stores import make_image_store
from core.notify import RedisNotifier
from core.settings import Settings
from core.shards import shard_of
from tests.bot.bot_host import BotHostProcess
from tests.bot.fake_discord import MEMBER_ID, FakeDiscord, command
from tests.bot.guilds import guild_on_shard, in_guild
from tests.bot.jobs import finish_job
from tests.conftest import _clean_postgres
from tests.integration.conftest import INTEGRATION_REDIS_DB, flush_redis_db, redis_db_url

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHARDS = 2
GUILDS_PER_SHARD = 6
JOBS = 24
# A Redis database of its own (the broker's queue keys have fixed names; no worker must take these
# jobs): below the integration stacks' (11, 12); 13 to 15 belong to benchmarks and test_reconcile.
REDIS_DB = INTEGRATION_REDIS_DB - 1


@pytest.fixture
def shared(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """One database, one Redis, one image folder: what the two processes share."""
    _clean_postgres(postgres_url)
    redis = redis_db_url(REDIS_DB)
    flush_redis_db(redis)
    engine = make_engine(postgres_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARBOT_")} | {
        "AVATARBOT_DATABASE_URL": postgres_url,
        "AVATARBOT_BROKER_URL": redis,
        "AVATARBOT_DATA_DIR": str(tmp_path / "data"),
        "AVATARBOT_IMAGE_DIR": str(tmp_path / "images"),
        "AVATARBOT_SHARD_COUNT": str(SHARDS),
        "AVATARBOT_LOG_LEVEL": "WARNING",
    }
    yield {
        "env": env,
        "sessions": make_session_factory(engine),
        "images": make_image_store(Settings(image_dir=tmp_path / "images")),
        "redis": redis,
        "dir": tmp_path,
    }
    engine.dispose()
    flush_redis_db(redis)


@pytest.fixture
async def fake_discord() -> Any:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


def _start(
    shared: dict[str, Any], fake: FakeDiscord, shard: int, *, takeover_s: float, sweep_s: float
) -> BotHostProcess:
    env = shared["env"] | {"AVATARBOT_SHARD_IDS": str(shard), "AVATARBOT_DELIVERY_TAKEOVER_S": str(takeover_s)}
    return BotHostProcess(env, fake.api_base, shared["dir"] / f"bot-{shard}.log", sweep_every_s=sweep_s)


async def _started(shared, fake, *, takeover_s: float = 60.0, sweep_s: float = 30.0) -> list[BotHostProcess]:
    hosts = [_start(shared, fake, shard, takeover_s=takeover_s, sweep_s=sweep_s) for shard in range(SHARDS)]
    await asyncio.gather(*(asyncio.to_thread(h.wait_ready) for h in hosts))
    return hosts


def _stop(hosts: list[BotHostProcess]) -> list[dict[str, Any]]:
    figures = [host.stop() for host in hosts]
    for host in hosts:
        assert not host.logged_errors(), host.log_tail()
    return figures


async def _create_everywhere(fake: FakeDiscord, hosts: list[BotHostProcess], sessions) -> dict[str, int]:
    """JOBS /avatar create from SHARDS * GUILDS_PER_SHARD guilds, each to its shard's process;
    returns {interaction token: guild id} once every request has its job."""
    tokens: dict[str, int] = {}
    for n in range(JOBS):
        guild = guild_on_shard(n % SHARDS, SHARDS, (n // SHARDS) % GUILDS_PER_SHARD)
        payload = in_guild(command("avatar", "create", {"style": "micah", "seed": n}, user_id=MEMBER_ID + n), guild)
        tokens[payload["token"]] = guild
        hosts[shard_of(guild, SHARDS)].send(payload)
    deadline = time.monotonic() + 60
    while len(_jobs(sessions)) < JOBS:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(_jobs(sessions))} of {JOBS} jobs made; calls: {len(fake.calls)}")
        await asyncio.sleep(0.1)
    return tokens


def _jobs(sessions: sessionmaker[Session]) -> list[Job]:
    with sessions() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def _finish_all(shared: dict[str, Any], job_ids: list[int]) -> None:
    """The worker's part: finish each job, then announce it (both processes hear every job)."""
    notifier = RedisNotifier(shared["redis"])
    try:
        for job_id in job_ids:
            finish_job(shared["sessions"], shared["images"], job_id)
            notifier.publish(job_id, "done")
    finally:
        notifier.close()


def _pictures(fake: FakeDiscord, tokens: dict[str, int]) -> Counter[str]:
    """How many messages with a picture each interaction got."""
    sent: Counter[str] = Counter({token: 0 for token in tokens})
    for call in fake.calls:
        if call.files and call.path.startswith("/webhooks/"):
            token = call.path.split("/")[3]
            if token in sent:
                sent[token] += 1
    return sent


async def _until_delivered(fake: FakeDiscord, tokens: dict[str, int], timeout_s: float, hosts) -> Counter[str]:
    deadline = time.monotonic() + timeout_s
    while min(_pictures(fake, tokens).values()) < 1:
        if time.monotonic() > deadline:
            missing = [t for t, n in _pictures(fake, tokens).items() if n == 0]
            logs = "\n".join(h.log_tail() for h in hosts)
            raise AssertionError(f"{len(missing)} of {len(tokens)} results not delivered in {timeout_s} s\n{logs}")
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # room for a late duplicate to show up
    return _pictures(fake, tokens)


def _assert_exactly_once(sent: Counter[str], sessions) -> None:
    twice = {token: n for token, n in sent.items() if n > 1}
    assert not twice, f"{len(twice)} result(s) delivered more than once: {sorted(twice.values())}"
    assert all(n == 1 for n in sent.values())
    assert all(job.delivered_at is not None for job in _jobs(sessions))


async def test_each_process_delivers_its_own_guilds_exactly_once(shared, fake_discord: FakeDiscord) -> None:
    hosts = await _started(shared, fake_discord)
    try:
        tokens = await _create_everywhere(fake_discord, hosts, shared["sessions"])
        await asyncio.to_thread(_finish_all, shared, [job.id for job in _jobs(shared["sessions"])])
        sent = await _until_delivered(fake_discord, tokens, 60, hosts)
    finally:
        figures = await asyncio.to_thread(_stop, hosts)
    _assert_exactly_once(sent, shared["sessions"])
    # Each process delivered its own shard's results (the takeover, 60 s, never came).
    per_shard = Counter(shard_of(guild, SHARDS) for guild in tokens.values())
    for shard, host in enumerate(figures):
        assert sum(host["delivered"].values()) == per_shard[shard] == JOBS // SHARDS, figures
        assert host["fed"] == JOBS // SHARDS


async def test_processes_racing_for_every_job_still_deliver_each_once(shared, fake_discord: FakeDiscord) -> None:
    # Takeover after 0 s and a sweep every 0.2 s: both processes go for every job as soon as it is
    # finished (events and sweeps); only the claims in the database keep it to one message.
    hosts = await _started(shared, fake_discord, takeover_s=0.0, sweep_s=0.2)
    try:
        tokens = await _create_everywhere(fake_discord, hosts, shared["sessions"])
        await asyncio.to_thread(_finish_all, shared, [job.id for job in _jobs(shared["sessions"])])
        sent = await _until_delivered(fake_discord, tokens, 60, hosts)
    finally:
        figures = await asyncio.to_thread(_stop, hosts)
    _assert_exactly_once(sent, shared["sessions"])
    assert sum(sum(host["delivered"].values()) for host in figures) == JOBS


async def test_a_stopped_process_s_results_are_taken_over_after_the_delay(shared, fake_discord: FakeDiscord) -> None:
    takeover_s = 3.0
    hosts = await _started(shared, fake_discord, takeover_s=takeover_s, sweep_s=0.5)
    tokens = await _create_everywhere(fake_discord, hosts, shared["sessions"])
    stopped = await asyncio.to_thread(hosts[1].stop)  # shard 1's process goes away (SIGTERM)
    try:
        started = time.monotonic()
        await asyncio.to_thread(_finish_all, shared, [job.id for job in _jobs(shared["sessions"])])
        sent = await _until_delivered(fake_discord, tokens, 60, hosts[:1])
    finally:
        [survivor] = await asyncio.to_thread(_stop, hosts[:1])
    _assert_exactly_once(sent, shared["sessions"])
    assert sum(stopped["delivered"].values()) == 0 and sum(survivor["delivered"].values()) == JOBS
    # Shard 1's results came from shard 0's process, and only after the takeover delay.
    by_token = {c.path.split("/")[3]: c.at for c in fake_discord.calls if c.files and c.path.startswith("/webhooks/")}
    late = [by_token[t] - started for t, guild in tokens.items() if shard_of(guild, SHARDS) == 1]
    assert min(late) >= takeover_s - 0.5, late
