"""Benchmark sharded delivery: /avatar create from many guilds through several bot processes.

    python bench/bench_shards.py [--model tiny|shipped] [--interactions 1000] [--guilds 200]
                                 [--bots 2] [--workers 2] [--interval 0.02] [--out FILE]

The production layout on this machine: a fresh PostgreSQL database, Celery over Redis (a Redis
database of its own, emptied before and after), `--workers` real `avatarbot worker` processes on
the CPU (one torch thread each), and `--bots` bot processes (tests/bot/bot_host.py: the bot as
`avatarbot bot` builds it) running shards 0..bots-1 of `--bots`, all logged in against one offline
Discord stand-in (tests/bot/fake_discord.py) run here. Each interaction comes from its own member of
one of `--guilds` guilds and goes to the process whose shard carries its guild, as Discord's gateway
sends it, one every `--interval` seconds.

Prints a short table: acknowledgement (interaction sent -> Discord's callback) p50/p99, results
delivered (must equal the interactions) and delivered twice (must be 0), each process's deliveries,
the wall time (first interaction -> last result) and renders per second; writes the figures to
`--out` (bench/bench_shards_results.json, one entry per model). `--model tiny` renders with tiny
random weights (measures the plumbing); `shipped` with generator/weights/chibi.

Services: AVATARBOT_BENCH_POSTGRES_URL (a database it may connect to in order to create its own;
default postgresql+psycopg://postgres@127.0.0.1:5432/test) and AVATARBOT_BENCH_REDIS_URL (default
redis://127.0.0.1:6379/15). Every process it starts is stopped however it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.bot

import psycopg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.children import ChildProcesses  # noqa: E402
from core.db import repositories as repo  # noqa: E402
from core.db.engine import make_engine, make_session_factory  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.db.models import Job, JobStatus  # noqa: E402
from core.settings import SHIPPED_WEIGHTS  # noqa: E402
from core.shards import shard_of  # noqa: E402
from tests.bot.bot_host import BotHostProcess  # noqa: E402
from tests.bot.fake_discord import MEMBER_ID, FakeDiscord, command  # noqa: E402
from tests.bot.guilds import guild_on_shard, in_guild  # noqa: E402

POSTGRES_URL = os.environ.get("AVATARBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AVATARBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
STYLES = ("adventurer", "lorelei", "micah", "miniavs")
RESULTS = REPO / "bench" / "bench_shards_results.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Database:
    """A PostgreSQL database of this run only, at head; dropped at the end."""

    def __init__(self) -> None:
        self.name = f"avatarbot_bench_{uuid.uuid4().hex[:10]}"
        admin = make_url(POSTGRES_URL)
        self._admin_dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        self.url = admin.set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> Database:
        with psycopg.connect(self._admin_dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')
        upgrade(self.url)
        return self

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self._admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def weights_for(model: str, scratch: Path, children: ChildProcesses) -> tuple[Path, str]:
    if model == "shipped":
        return SHIPPED_WEIGHTS, f"shipped ({SHIPPED_WEIGHTS.relative_to(REPO)})"
    tiny = scratch / "tiny-weights"
    children.run([sys.executable, "-m", "tests.generator.tiny_chibi", str(tiny)], stdout=subprocess.DEVNULL, cwd=REPO)
    return tiny, "tiny random weights (tests/generator/tiny_chibi.py): the plumbing, not the model"


def wait_for_workers(sessions: Any, count: int, children_logs: list[Path], timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sessions() as session:
            if len(repo.live_workers(session, dead_after_s=30)) >= count:
                return
        time.sleep(0.2)
    tails = "\n".join(path.read_text(errors="replace")[-2000:] for path in children_logs)
    raise SystemExit(f"the workers did not start:\n{tails}")


def interactions(args: argparse.Namespace) -> list[tuple[int, dict[str, Any]]]:
    """(shard, payload) for each interaction: guilds spread over the shards, a member each."""
    guilds = [guild_on_shard(g % args.bots, args.bots, g // args.bots) for g in range(args.guilds)]
    made = []
    for n in range(args.interactions):
        guild = guilds[n % len(guilds)]
        options = {"style": STYLES[n % len(STYLES)], "seed": n}
        payload = in_guild(command("avatar", "create", options, user_id=MEMBER_ID + n), guild)
        made.append((shard_of(guild, args.bots), payload))
    return made


class Tally:
    """Reads the stand-in's calls as they come: each interaction's acknowledgement and pictures."""

    def __init__(self, fake: FakeDiscord, tokens: set[str]) -> None:
        self.fake, self.tokens = fake, tokens
        self.acked: dict[str, float] = {}
        self.pictures: Counter[str] = Counter()
        self.last_picture_at = 0.0
        self._seen = 0

    def update(self) -> None:
        calls = self.fake.calls[self._seen :]
        self._seen += len(calls)
        for call in calls:
            parts = call.path.split("/")
            if call.path.startswith("/interactions/") and parts[-1] == "callback":
                self.acked.setdefault(parts[3], call.at)
            elif call.files and call.path.startswith("/webhooks/") and parts[3] in self.tokens:
                self.pictures[parts[3]] += 1
                self.last_picture_at = max(self.last_picture_at, call.at)

    @property
    def delivered(self) -> int:
        return len(self.pictures)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.pictures.values() if n > 1)


async def run(args: argparse.Namespace, scratch: Path, children: ChildProcesses, database: Database) -> dict[str, Any]:
    weights, weights_note = weights_for(args.model, scratch, children)
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARBOT_")} | {
        "AVATARBOT_DATABASE_URL": database.url,
        "AVATARBOT_BROKER_URL": REDIS_URL,
        "AVATARBOT_DATA_DIR": str(scratch / "data"),
        "AVATARBOT_IMAGE_DIR": str(scratch / "images"),
        "AVATARBOT_BUILTIN_WEIGHTS": str(weights),
        "AVATARBOT_BATCH_SIZE": str(args.batch_size),
        "AVATARBOT_TORCH_THREADS": "1",
        "AVATARBOT_SHARD_COUNT": str(args.bots),
        "AVATARBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    engine = make_engine(database.url)
    sessions = make_session_factory(engine)
    logs = [scratch / f"worker-{i}.log" for i in range(args.workers)]
    for log in logs:
        children.start_logged([sys.executable, "-m", "avatarbot", "worker"], log, env)
    fake = FakeDiscord()
    await fake.start()
    hosts = [
        BotHostProcess(
            env | {"AVATARBOT_SHARD_IDS": str(shard)}, fake.api_base, scratch / f"bot-{shard}.log", start=children.start
        )
        for shard in range(args.bots)
    ]
    try:
        await asyncio.gather(*(asyncio.to_thread(host.wait_ready) for host in hosts))
        await asyncio.to_thread(wait_for_workers, sessions, args.workers, logs)
        work = interactions(args)
        tally = Tally(fake, {payload["token"] for _, payload in work})
        sent: dict[str, float] = {}
        for shard, payload in work:
            sent[payload["token"]] = await asyncio.to_thread(hosts[shard].send, payload)
            if args.interval:
                await asyncio.sleep(args.interval)
        first_sent = min(sent.values())
        deadline = time.monotonic() + args.timeout
        while tally.delivered < len(work) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            tally.update()
        await asyncio.sleep(3)  # room for a late duplicate
        tally.update()
    finally:
        figures = [await asyncio.to_thread(host.stop) for host in hosts]
        await fake.close()
    with sessions() as session:
        rows = list(session.scalars(select(Job).where(Job.status == JobStatus.DONE)))
    engine.dispose()
    acks = [(tally.acked[t] - sent[t]) * 1000 for t in sent if t in tally.acked]
    wall = tally.last_picture_at - first_sent if tally.delivered else float("nan")
    renders = [(r.finished_at - r.started_at).total_seconds() for r in rows if r.started_at and r.finished_at]
    return {
        "model": args.model,
        "weights": weights_note,
        "interactions": len(work),
        "guilds": args.guilds,
        "bot_processes": args.bots,
        "workers": args.workers,
        "batch_size": args.batch_size,
        "interval_s": args.interval,
        "acknowledged": len(acks),
        "ack_ms_p50": round(percentile(acks, 50), 2),
        "ack_ms_p99": round(percentile(acks, 99), 2),
        "ack_ms_max": round(max(acks), 2) if acks else None,
        "delivered": tally.delivered,
        "duplicates": tally.duplicates,
        "per_process": {fig["shards"]: int(sum(fig["delivered"].values())) for fig in figures},
        "per_process_fed": {fig["shards"]: fig["fed"] for fig in figures},
        "jobs_done": len(rows),
        "render_s_p50": round(percentile(renders, 50), 3),
        "wall_s": round(wall, 1),
        "renders_per_s": round(tally.delivered / wall, 2) if tally.delivered else 0.0,
    }


def report(result: dict[str, Any]) -> None:
    per_process = ", ".join(f"{name}: {count}" for name, count in result["per_process"].items())
    print(
        f"shard benchmark: {result['interactions']} x /avatar create from {result['guilds']} guilds, "
        f"{result['bot_processes']} bot processes, {result['workers']} CPU workers (batch {result['batch_size']})"
    )
    print(f"  weights: {result['weights']}")
    rows = [
        ("acknowledge p50 / p99 (ms)", f"{result['ack_ms_p50']:.1f} / {result['ack_ms_p99']:.1f}"),
        ("delivered", f"{result['delivered']} of {result['interactions']}"),
        ("delivered twice", str(result["duplicates"])),
        ("per process", per_process),
        ("wall time (s)", f"{result['wall_s']:.1f}"),
        ("renders / s", f"{result['renders_per_s']:.2f}"),
    ]
    for name, value in rows:
        print(f"  {name:28}{value}")


def save(result: dict[str, Any], path: Path) -> None:
    saved = json.loads(path.read_text()) if path.is_file() else {}
    saved[result["model"]] = result
    path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("tiny", "shipped"), default="tiny")
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--guilds", type=int, default=200)
    parser.add_argument("--bots", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between interactions (50 a second)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the results")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON file of figures (one entry per model)")
    args = parser.parse_args()
    if args.guilds < args.bots:
        parser.error("--guilds must be at least --bots (every process gets a guild)")
    # Children stop (inner block) before the database is dropped and the scratch folder removed.
    with (
        tempfile.TemporaryDirectory(prefix="bench-shards-") as scratch,
        Database() as database,
        ChildProcesses(grace_s=30) as children,
    ):
        try:
            result = asyncio.run(run(args, Path(scratch), children, database))
        finally:
            children.stop()
            redis.Redis.from_url(REDIS_URL).flushdb()
    report(result)
    save(result, args.out)
    if result["delivered"] != result["interactions"] or result["duplicates"]:
        raise SystemExit("not every result was delivered exactly once")


if __name__ == "__main__":
    main()
