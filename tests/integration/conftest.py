"""Real worker processes on real services: the fixtures of the integration tests.

A "stack" is a database, a broker and a data folder, with `avatarbot worker`
processes started as subprocesses (exactly as an operator runs them) with
AVATARBOT_* variables pointing at it. Two stacks are shared by the tests of a
session: production-like (Redis broker + PostgreSQL) and the embedded default
(filesystem broker + SQLite). Their workers render with the tiny random
weights in two steps; their periodic reconciler is off (the tests run it by
hand); the crash test builds its own stacks.

Redis: the broker's keys (queue list, `unacked` hash) have fixed names, so the
integration tests use Redis databases of their own (AVATARBOT_TEST_REDIS_DB,
default 11, and the next one for the crash test) and empty them first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from core.db.models import FINISHED_STATUSES, Job
from core.dispatch import dispatch_jobs, make_producer
from core.settings import Settings
from core.spec import parse_spec
from tests.conftest import REDIS_BASE_URL, PostgresDatabases, require_service

INTEGRATION_REDIS_DB = int(os.environ.get("AVATARBOT_TEST_REDIS_DB", "11"))
WORKER_START_TIMEOUT_S = 120.0


def redis_db_url(db: int) -> str:
    """The test Redis server, database `db`."""
    parts = urlsplit(REDIS_BASE_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def flush_redis_db(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny random weights of the built-in architecture, built once per session."""
    from tests.generator.tiny_chibi import save_tiny_pipeline

    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny-weights") / "weights")


class WorkerProcess:
    """One `avatarbot worker` subprocess with its own log file."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "avatarbot", "worker"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.worker_id: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_registered(self, session_factory: sessionmaker[Session], timeout_s: float = WORKER_START_TIMEOUT_S) -> str:
        """Wait until the worker's heartbeat row exists; returns its worker id."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            with session_factory() as session:
                for worker in repo.live_workers(session, dead_after_s=3600):
                    if worker.pid == self.pid:
                        self.worker_id = worker.id
                        return worker.id
            time.sleep(0.2)
        raise AssertionError(f"worker {self.pid} did not register in {timeout_s} s:\n{self.log_text()[-3000:]}")

    def wait_consuming(self, timeout_s: float = WORKER_START_TIMEOUT_S) -> None:
        """Wait until Celery says the worker is ready to take messages."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if " ready." in self.log_text():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"worker {self.pid} never became ready:\n{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def claimed_job_ids(self) -> list[int]:
        """Every job id this worker claimed, from its log (one entry per claim)."""
        ids: list[int] = []
        for line in self.log_text().splitlines():
            if "claimed jobs [" in line:
                inside = line.split("claimed jobs [", 1)[1].split("]", 1)[0]
                ids.extend(int(part) for part in inside.split(",") if part.strip())
        return ids

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._log.close()

    def stop(self, timeout_s: float = 30.0) -> int:
        """Warm shutdown with SIGTERM (then SIGKILL); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@dataclass
class Stack:
    """A database + broker + data folder, and the worker processes started on it."""

    name: str
    env: dict[str, str]
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    data_dir: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    def start_worker(self, **overrides: str) -> WorkerProcess:
        env = {**self.env, **{f"AVATARBOT_{k.upper()}": str(v) for k, v in overrides.items()}}
        log_path = self.data_dir / f"worker-{len(self.workers)}.log"
        worker = WorkerProcess(env, log_path)
        self.workers.append(worker)
        return worker

    def create_jobs(self, count: int, *, first_seed: int = 1000, **spec: object) -> list[int]:
        parsed = parse_spec(dict(spec))
        with self.session_factory() as session:
            rows = repo.create_jobs(
                session,
                owner_id=42,
                spec=parsed,
                seeds=[first_seed + i for i in range(count)],
                backend=self.settings.backend,
            )
            session.commit()
            return [row.id for row in rows]

    def dispatch(self, job_ids: Sequence[int]) -> None:
        producer = make_producer(self.settings)
        try:
            with self.session_factory() as session:
                dispatch_jobs(producer, session, job_ids, self.settings.queue_name)
        finally:
            producer.close()

    def wait_finished(self, job_ids: Sequence[int], timeout_s: float = 120.0) -> list[Job]:
        deadline = time.monotonic() + timeout_s
        while True:
            with self.session_factory() as session:
                rows = [repo.get_job(session, job_id) for job_id in job_ids]
                if all(row.status in FINISHED_STATUSES for row in rows):
                    return rows
            if time.monotonic() > deadline:
                states = {row.id: str(row.status) for row in rows}
                logs = "\n".join(w.log_text()[-2000:] for w in self.workers)
                raise AssertionError(f"jobs not finished after {timeout_s} s: {states}\n{logs}")
            time.sleep(0.1)

    def jobs(self, job_ids: Sequence[int]) -> list[Job]:
        with self.session_factory() as session:
            return [repo.get_job(session, job_id) for job_id in job_ids]

    def run_cli(self, *args: str, timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "avatarbot", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=self.data_dir,
        )

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)  # all at once: each waits for its own task
        for worker in self.workers:
            worker.stop()
        self.engine.dispose()


def stack_env(values: dict[str, str]) -> dict[str, str]:
    """This process's environment without any AVATARBOT_* setting, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARBOT_")}
    env.update(values)
    return env


def build_stack(
    name: str, data_dir: Path, database_url: str, broker_url: str, weights: Path, **extra: str
) -> Stack:
    values = {
        "AVATARBOT_DATA_DIR": str(data_dir),
        "AVATARBOT_DATABASE_URL": database_url,
        "AVATARBOT_BROKER_URL": broker_url,
        "AVATARBOT_BUILTIN_WEIGHTS": str(weights),
        "AVATARBOT_NUM_INFERENCE_STEPS": "2",
        "AVATARBOT_WORKER_HEARTBEAT_S": "0.5",
        # Generous against heartbeats delayed on a loaded machine: a live worker taken for dead
        # loses its job to another (safe, but not what these tests look at).
        "AVATARBOT_WORKER_DEAD_AFTER_S": "6",
        # The shared stacks' periodic reconciler is off: tests run `avatarbot reconcile` themselves.
        "AVATARBOT_RECONCILE_EVERY_S": "3600",
        "AVATARBOT_QUEUED_LEASE_S": "2",
        "AVATARBOT_RETRY_BACKOFF_S": "1",
        "AVATARBOT_LOG_LEVEL": "INFO",
        # Two cores shared by every test process: one torch thread each avoids oversubscription.
        "AVATARBOT_TORCH_THREADS": "1",
        **{f"AVATARBOT_{k.upper()}": str(v) for k, v in extra.items()},
    }
    env = stack_env(values)
    settings = Settings(**{k.removeprefix("AVATARBOT_").lower(): v for k, v in values.items()})
    upgrade(database_url)
    engine = make_engine(database_url)
    return Stack(name, env, settings, engine, make_session_factory(engine), data_dir)


StackFactory = Callable[..., Stack]


@pytest.fixture(scope="session")
def make_redis_stack(
    tmp_path_factory: pytest.TempPathFactory, tiny_weights: Path, postgres_databases: PostgresDatabases
) -> Iterator[StackFactory]:
    """Builds Redis + PostgreSQL stacks (each on a fresh database; one Redis db at a time)."""
    require_service("redis")
    stacks: list[Stack] = []

    def make(redis_db: int = INTEGRATION_REDIS_DB, **extra: str) -> Stack:
        broker = redis_db_url(redis_db)
        flush_redis_db(broker)
        stack = build_stack(
            "redis+postgres", tmp_path_factory.mktemp("redis-stack"), postgres_databases.create(), broker,
            tiny_weights, **extra,
        )
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


@pytest.fixture(scope="session")
def make_embedded_stack(tmp_path_factory: pytest.TempPathFactory, tiny_weights: Path) -> Iterator[StackFactory]:
    """Builds embedded-default stacks: filesystem broker and SQLite under a fresh data folder."""
    stacks: list[Stack] = []

    def make(**extra: str) -> Stack:
        data_dir = tmp_path_factory.mktemp("embedded-stack")
        stack = build_stack(
            "filesystem+sqlite", data_dir, f"sqlite:///{data_dir / 'avatarbot.sqlite3'}", "filesystem",
            tiny_weights, **extra,
        )
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


@pytest.fixture(scope="session", params=["redis+postgres", "filesystem+sqlite"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """A shared stack with two running workers, for each broker + database pair."""
    # Looked up here so the embedded stack needs neither Redis nor PostgreSQL.
    factory = "make_redis_stack" if request.param == "redis+postgres" else "make_embedded_stack"
    built: Stack = request.getfixturevalue(factory)()
    workers = [built.start_worker(), built.start_worker()]
    for worker in workers:
        worker.wait_registered(built.session_factory)
    for worker in workers:
        worker.wait_consuming()
    return built
