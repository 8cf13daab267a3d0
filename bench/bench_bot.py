"""Benchmark the bot end to end: time to acknowledge and time to the picture, over N commands.

    python bench/bench_bot.py [--commands 100] [--workers 1] [--interval 0] [--steps N]

Runs the real bot against the offline Discord stand-in (tests/bot/fake_discord.py) and real
`avatarbot worker` processes on the embedded stack (SQLite + filesystem broker) in a temporary
folder, on the CPU. The built-in model uses the shipped weights when generator/weights/chibi has
a model_index.json, else tiny random weights (said in the output: then the figures measure the
plumbing, not the model). Each command comes from a different user (so quotas do not refuse any);
`--interval` spaces them (0: all at once, a burst). The workers (and any other child process) are
stopped however the benchmark ends: normally, on an error, on Ctrl-C or on SIGTERM.

Prints a short table: acknowledge (command -> Discord callback), first answer (-> queue place
shown), render (worker claim -> done), end to end (command -> picture delivered), throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.bot.fake_discord

from discord.http import Route  # noqa: E402

from bench.children import ChildProcesses  # noqa: E402
from bot.app import build_bot  # noqa: E402
from core.db import repositories as repo  # noqa: E402
from core.db.engine import make_engine, make_session_factory  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.db.models import Job  # noqa: E402
from core.dispatch import make_producer  # noqa: E402
from core.image_stores import make_image_store  # noqa: E402
from core.notify import PollingNotifier  # noqa: E402
from core.settings import SHIPPED_WEIGHTS, Settings  # noqa: E402
from tests.bot.fake_discord import APPLICATION_ID, MEMBER_ID, FakeDiscord, command, feed  # noqa: E402

STYLES = ("adventurer", "lorelei", "micah", "miniavs")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def pick_weights(scratch: Path, children: ChildProcesses) -> tuple[Path, str]:
    if (SHIPPED_WEIGHTS / "model_index.json").is_file():
        return SHIPPED_WEIGHTS, f"shipped ({SHIPPED_WEIGHTS.relative_to(REPO)})"
    tiny = scratch / "tiny-weights"
    children.run([sys.executable, "-m", "tests.generator.tiny_chibi", str(tiny)], stdout=subprocess.DEVNULL)
    return tiny, "TINY RANDOM weights (generator/weights/chibi has no model_index.json): plumbing, not the model"


def start_workers(count: int, env: dict[str, str], scratch: Path, children: ChildProcesses) -> None:
    for index in range(count):
        children.start_logged([sys.executable, "-m", "avatarbot", "worker"], scratch / f"worker-{index}.log", env)


def wait_for_workers(sessions, count: int, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sessions() as session:
            if len(repo.live_workers(session, dead_after_s=30)) >= count:
                return
        time.sleep(0.2)
    raise SystemExit("the workers did not start (see worker-*.log)")


async def run(args: argparse.Namespace, scratch: Path, children: ChildProcesses) -> None:
    weights, weights_note = pick_weights(scratch, children)
    values = {
        "AVATARBOT_DATA_DIR": str(scratch / "data"),
        "AVATARBOT_BROKER_URL": "filesystem",
        "AVATARBOT_BUILTIN_WEIGHTS": str(weights),
        "AVATARBOT_BATCH_SIZE": str(args.batch_size),
        "AVATARBOT_WORKER_HEARTBEAT_S": "1",
        "AVATARBOT_RECONCILE_EVERY_S": "3600",
        "AVATARBOT_LOG_LEVEL": "WARNING",
    }
    if args.steps:
        values["AVATARBOT_NUM_INFERENCE_STEPS"] = str(args.steps)
    settings = Settings(
        **{k.removeprefix("AVATARBOT_").lower(): v for k, v in values.items()}, discord_application_id=APPLICATION_ID
    )
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    sessions = make_session_factory(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARBOT_")} | values
    start_workers(args.workers, env, scratch, children)
    fake = FakeDiscord()
    await fake.start()
    producer = make_producer(settings)
    # discord.py keeps its REST base on the Route class: point it at the stand-in for this run.
    previous_base, Route.BASE = Route.BASE, fake.api_base
    bot = build_bot(
        settings,
        session_factory=sessions,
        producer=producer,
        notifier=PollingNotifier(sessions, interval_s=0.1),
        image_store=make_image_store(settings),
    )
    try:
        wait_for_workers(sessions, args.workers)
        await bot.login("bench-token")
        sent: dict[str, float] = {}
        started = time.monotonic()
        for index in range(args.commands):
            payload = command(
                "avatar", "create", {"style": STYLES[index % len(STYLES)], "seed": index}, user_id=MEMBER_ID + index
            )
            sent[payload["token"]] = time.monotonic()
            feed(bot, payload)
            if args.interval:
                await asyncio.sleep(args.interval)
            else:
                await asyncio.sleep(0)
        delivered = await wait_delivered(fake, sent, timeout_s=args.timeout)
        elapsed = time.monotonic() - started
        report(args, fake, sent, delivered, elapsed, sessions, weights_note)
    finally:
        await bot.close()
        Route.BASE = previous_base
        await fake.close()
        producer.close()
        children.stop()
        engine.dispose()


async def wait_delivered(fake: FakeDiscord, sent: dict[str, float], *, timeout_s: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout_s
    delivered: dict[str, float] = {}
    while len(delivered) < len(sent) and time.monotonic() < deadline:
        for call in fake.calls:
            if call.files:
                token = call.path.split("/")[3] if call.path.startswith("/webhooks/") else None
                if token in sent and token not in delivered:
                    delivered[token] = call.at
        await asyncio.sleep(0.1)
    return delivered


def report(
    args: argparse.Namespace,
    fake: FakeDiscord,
    sent: dict[str, float],
    delivered: dict[str, float],
    elapsed: float,
    sessions: Any,
    weights_note: str,
) -> None:
    acks, answers = [], []
    for token, t0 in sent.items():
        ack = next((c.at for c in fake.calls if c.path.startswith("/interactions/") and f"/{token}/" in c.path), None)
        first = next((c.at for c in fake.calls if c.method == "PATCH" and f"/{token}/" in c.path), None)
        if ack is not None:
            acks.append((ack - t0) * 1000)
        if first is not None:
            answers.append((first - t0) * 1000)
    end_to_end = [delivered[t] - sent[t] for t in delivered]
    with sessions() as session:
        rows = session.query(Job).filter(Job.status == "done").all()
        renders = [(r.finished_at - r.started_at).total_seconds() for r in rows if r.started_at and r.finished_at]
    pace = "a burst" if not args.interval else f"one every {args.interval} s"
    print(f"bot benchmark: {args.commands} x /avatar create, {pace}")
    print(f"  {args.workers} worker(s) on the CPU, batch size {args.batch_size}, steps {args.steps or 'model default'}")
    print(f"  weights: {weights_note}")
    print(
        f"  delivered {len(delivered)} of {len(sent)} in {elapsed:.1f} s "
        f"({len(delivered) / elapsed * 60:.1f} avatars/min)"
    )
    print(f"{'':24}{'p50':>10}{'p99':>10}{'max':>10}")
    for name, values in (
        ("acknowledge (ms)", acks),
        ("first answer (ms)", answers),
        ("render (s)", renders),
        ("end to end (s)", end_to_end),
    ):
        if values:
            print(f"{name:24}{percentile(values, 50):>10.2f}{percentile(values, 99):>10.2f}{max(values):>10.2f}")
    late = [a for a in acks if a > 3000]
    print(f"  acknowledged after Discord's 3 s limit: {len(late)} of {len(acks)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--steps", type=int, default=0, help="denoising steps (0: the model's default)")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between commands (0: a burst)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    # The children are stopped (inner block) before their scratch folder is removed (outer block).
    with tempfile.TemporaryDirectory(prefix="bench-bot-") as scratch, ChildProcesses(grace_s=30) as children:
        asyncio.run(run(args, Path(scratch), children))


if __name__ == "__main__":
    main()
