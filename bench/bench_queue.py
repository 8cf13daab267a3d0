"""Queue latency: enqueue -> worker start, and done -> notification, p50/p95, per broker.

    .venv/bin/python bench/bench_queue.py [--jobs 200] [--only redis|embedded]

For each deployment (Redis broker + PostgreSQL + Redis pub/sub notifications;
the embedded default: filesystem broker + SQLite + database polling) it starts
one real `avatarbot worker` process on tiny random weights (1 denoising step,
so the render itself is negligible), warms it up, then sends the jobs one at a
time and measures, per job:
- enqueue -> start: from just before the message is sent to the worker's claim
  (the job's started_at);
- done -> notified: from the job's finished_at (set just before the worker
  commits) to the moment a waiter's `notifier.wait_for` returns.
Both ends are wall-clock times on this one machine. Prints a short table.

The worker (and the tiny-weights maker) run through bench/children.py: they are stopped however
the benchmark ends, normally, on an error, on Ctrl-C or on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for bench.children

from tqdm import tqdm  # noqa: E402

from bench.children import ChildProcesses  # noqa: E402
from core.db import repositories as repo  # noqa: E402
from core.db.engine import make_engine, make_session_factory  # noqa: E402
from core.db.migrate import upgrade  # noqa: E402
from core.dispatch import dispatch_jobs, make_producer  # noqa: E402
from core.notify import make_notifier  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.spec import parse_spec  # noqa: E402

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own: the bench empties it


@dataclass
class Row:
    name: str
    jobs: int
    start_ms: list[float]
    notify_ms: list[float]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def start_worker(values: dict[str, str], log_path: Path, children: ChildProcesses) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARBOT_")}
    env.update(values)
    children.start_logged([sys.executable, "-m", "avatarbot", "worker"], log_path, env)


def measure(name: str, values: dict[str, str], jobs: int, work_dir: Path, children: ChildProcesses) -> Row:
    settings = Settings(**{k.removeprefix("AVATARBOT_").lower(): v for k, v in values.items()})
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    notifier = make_notifier(settings, session_factory)
    producer = make_producer(settings)
    start_worker(values, work_dir / f"worker-{name.split()[0]}.log", children)
    spec = parse_spec({"hair": "long"})

    def run_one(seed: int) -> tuple[float, float]:
        with session_factory() as session:
            [row] = repo.create_jobs(session, owner_id=1, spec=spec, seeds=[seed], backend=settings.backend)
            session.commit()
            job_id = row.id
        sent = datetime.now(UTC)
        with session_factory() as session:
            dispatch_jobs(producer, session, [job_id], settings.queue_name)
        got = notifier.wait_for([job_id], timeout=120)
        notified = datetime.now(UTC)
        if job_id not in got:
            raise RuntimeError(f"{name}: job {job_id} not finished after 120 s; see the worker log in {work_dir}")
        with session_factory() as session:
            job = repo.get_job(session, job_id)
            if job.status != "done":
                raise RuntimeError(f"{name}: job {job_id} {job.status}: {job.error}")
            return (
                (job.started_at - sent).total_seconds() * 1000,
                (notified - job.finished_at).total_seconds() * 1000,
            )

    try:
        run_one(0)  # warm-up: the worker imports torch and loads the model on its first job
        samples = [run_one(seed) for seed in tqdm(range(1, jobs + 1), desc=name, unit="job", leave=False)]
    finally:
        children.stop()  # this deployment's worker, before the next one starts
        producer.close()
        notifier.close()
        engine.dispose()
    return Row(name, jobs, [s for s, _ in samples], [n for _, n in samples])


def postgres_database() -> tuple[Optional[str], Optional[str]]:
    """A fresh database for the bench (url, name), or (None, reason)."""
    try:
        import psycopg

        name = f"avatarbot_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True, connect_timeout=3) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name
    except Exception as exc:  # a bench reports a missing service and goes on
        return None, f"{type(exc).__name__}: {exc}"


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--only", choices=["redis", "embedded"])
    args = parser.parse_args(argv)
    # The children are stopped (inner block) before their scratch folder is removed (outer block).
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as scratch, ChildProcesses(grace_s=30) as children:
        rows, skipped = run(args, Path(scratch), children)
    report(args, rows, skipped)


def run(args: argparse.Namespace, work_dir: Path, children: ChildProcesses) -> tuple[list[Row], list[str]]:
    weights = work_dir / "tiny"
    children.run([sys.executable, "-m", "tests.generator.tiny_chibi", str(weights)], stdout=subprocess.DEVNULL)
    common = {
        "AVATARBOT_BUILTIN_WEIGHTS": str(weights),
        "AVATARBOT_NUM_INFERENCE_STEPS": "1",
        "AVATARBOT_TORCH_THREADS": "1",
        "AVATARBOT_RECONCILE_EVERY_S": "3600",
        "AVATARBOT_LOG_LEVEL": "WARNING",
    }
    rows: list[Row] = []
    skipped: list[str] = []
    if args.only in (None, "redis"):
        import redis

        try:
            redis.Redis.from_url(REDIS_URL).flushdb()
            url, name = postgres_database()
            if url is None:
                skipped.append(f"redis + postgresql: PostgreSQL unreachable ({name})")
            else:
                try:
                    values = {
                        **common,
                        "AVATARBOT_DATA_DIR": str(work_dir / "redis"),
                        "AVATARBOT_DATABASE_URL": url,
                        "AVATARBOT_BROKER_URL": REDIS_URL,
                    }
                    rows.append(measure("redis + postgresql, pub/sub", values, args.jobs, work_dir, children))
                finally:
                    drop_postgres_database(name)
        except redis.ConnectionError as exc:
            skipped.append(f"redis + postgresql: Redis unreachable ({exc})")
    if args.only in (None, "embedded"):
        values = {**common, "AVATARBOT_DATA_DIR": str(work_dir / "embedded")}
        rows.append(measure("filesystem + sqlite, polling", values, args.jobs, work_dir, children))
    return rows, skipped


def report(args: argparse.Namespace, rows: list[Row], skipped: list[str]) -> None:
    print(f"\nqueue latency, one job at a time, {args.jobs} jobs each (ms)")
    print(f"{'deployment':<30} {'enqueue->start p50':>18} {'p95':>7} {'done->notified p50':>19} {'p95':>7}")
    for row in rows:
        print(
            f"{row.name:<30} {statistics.median(row.start_ms):>18.1f} {percentile(row.start_ms, 0.95):>7.1f} "
            f"{statistics.median(row.notify_ms):>19.1f} {percentile(row.notify_ms, 0.95):>7.1f}"
        )
    for line in skipped:
        print(f"skipped {line}")


if __name__ == "__main__":
    main()
