"""One bot process against the offline Discord stand-in, for tests and benchmarks with several bot
processes (tests/integration/test_two_bots.py, bench/bench_shards.py).

    AVATARBOT_...=... python -m tests.bot.bot_host --discord-base http://127.0.0.1:PORT/api/v10

The bot is built exactly as `avatarbot bot` builds it (`build_bot_from_settings`: the database, the
Celery producer, the notifier and the image store of its AVATARBOT_* settings, its shard ids among
them) and logs in against the stand-in instead of Discord. Interactions come on stdin, one gateway
payload (JSON) a line, and are handed to the bot as its gateway would; the gateway itself is not
opened. It prints `ready` once logged in. SIGTERM closes it as `avatarbot bot` closes (deliveries
under way finish), and it prints one JSON line: how many results it delivered, by path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Optional

from discord.http import Route
from prometheus_client import CollectorRegistry

from bot.app import build_bot_from_settings
from bot.common.metrics import BotMetrics
from core.settings import Settings
from tests.bot.fake_discord import APPLICATION_ID, feed

PATHS = ("edit", "follow-up", "channel", "dm", "nowhere")


async def host(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(discord_application_id=APPLICATION_ID)
    Route.BASE = args.discord_base  # this process talks to the stand-in only
    registry = CollectorRegistry()
    bot = build_bot_from_settings(
        settings, BotMetrics(registry), progress_every_s=args.progress_every, sweep_every_s=args.sweep_every
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    fed = 0

    async def read_interactions() -> None:
        nonlocal fed
        while line := await reader.readline():
            if line.strip():
                feed(bot, json.loads(line))
                fed += 1
        stop.set()  # stdin closed: the parent is gone

    await bot.login("offline-host-token")
    print("ready", flush=True)
    reading = asyncio.create_task(read_interactions())
    await stop.wait()
    reading.cancel()
    await bot.close()  # the courier finishes the deliveries under way first
    delivered = {
        path: registry.get_sample_value("avatarbot_bot_deliveries_total", {"path": path}) or 0 for path in PATHS
    }
    return {"shards": settings.shards.describe(), "fed": fed, "delivered": delivered}


class BotHostProcess:
    """The parent's handle on one bot host: start it, hand it interactions, stop it, read its figures.
    `start` is what runs the command (a benchmark's ChildProcesses.start, so the host goes down with it)."""

    def __init__(
        self,
        env: dict[str, str],
        discord_base: str,
        log_path: Path,
        *,
        sweep_every_s: float = 30.0,
        progress_every_s: float = 2.0,
        nice: int = 0,
        start: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        command = [
            sys.executable,
            "-m",
            "tests.bot.bot_host",
            "--discord-base",
            discord_base,
            "--sweep-every",
            str(sweep_every_s),
            "--progress-every",
            str(progress_every_s),
        ]
        self.process = start(
            command,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=Path(__file__).resolve().parents[2],
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin: IO[bytes] = self.process.stdin
        self._stdout: IO[bytes] = self.process.stdout
        self.figures: Optional[dict[str, Any]] = None

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def logged_errors(self) -> list[str]:
        """ERROR and CRITICAL lines and tracebacks the bot logged."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")]

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        line = self._read_line(timeout_s)
        if line != "ready":
            raise AssertionError(f"the bot host did not start ({line!r}):\n{self.log_tail()}")

    def send(self, payload: dict[str, Any]) -> float:
        """Hand the bot one interaction, as its gateway connection would; returns when it was sent
        (time.monotonic(), the clock the stand-in stamps calls with)."""
        line = json.dumps(payload).encode() + b"\n"
        sent_at = time.monotonic()
        self._stdin.write(line)
        self._stdin.flush()
        return sent_at

    def stop(self, timeout_s: float = 60.0) -> dict[str, Any]:
        """SIGTERM, as an orchestrator stops it; returns its figures (what it delivered, by path)."""
        if self.figures is not None:
            return self.figures
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            line = self._read_line(timeout_s)
            self.process.wait(timeout_s)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._stdin.close()
            self._log.close()
        if self.process.returncode != 0 or not line.startswith("{"):
            raise AssertionError(f"the bot host exited with {self.process.returncode} ({line!r}):\n{self.log_tail()}")
        self.figures = json.loads(line)
        return self.figures

    def _read_line(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._stdout], [], [], 0.2)
            if ready:
                return self._stdout.readline().decode().strip()
            if self.process.poll() is not None:
                return self._stdout.readline().decode().strip()
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--discord-base", required=True, help="the stand-in's API base, .../api/v10")
    parser.add_argument("--sweep-every", type=float, default=30.0)
    parser.add_argument("--progress-every", type=float, default=2.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(json.dumps(asyncio.run(host(args))), flush=True)


if __name__ == "__main__":
    main()
