"""`avatarbot generate`: specs -> jobs -> the real queue -> a worker -> PNG files and a contact sheet.

Nothing is faked: the jobs go through the configured broker to an
`avatarbot worker` process (started here on the embedded default when none is
alive) and come back through the notifier, exactly as the bot's do.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional, TextIO

from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from avatarbot.local_worker import LocalWorker
from avatarbot.output import OutputFolder
from core.contact_sheet import SheetTile, contact_sheet
from core.db import repositories as repo
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from core.db.models import FINISHED_STATUSES, Job, JobStatus
from core.dispatch import dispatch_jobs, make_producer, uses_filesystem_broker
from core.errors import AvatarError
from core.image_stores import make_image_store
from core.images import ImageStore
from core.notify import make_notifier
from core.settings import Settings
from core.spec import AvatarSpec, parse_spec, seeds_for
from core.vocabulary import VOCABULARY

# The local user of the command line: Discord ids are positive snowflakes, so 0 is free.
CLI_USER_ID = 0
SHEET_NAME = "contact-sheet.png"

# What the examples vary, per style (other attributes are left to the generator).
EXAMPLE_ATTRIBUTES = ("hair", "hair_color", "expression", "background")


def example_specs() -> list[AvatarSpec]:
    """A handful of varied requests for `--examples`: one per style, each with values that style
    offers (rotated so the examples differ), and one that leaves everything but the background open.
    Built from the vocabulary, so they stay valid when it grows."""
    specs = []
    for i, style in enumerate(VOCABULARY.styles):
        chosen: dict[str, object] = {"style": style, "seed": 11 * (i + 1)}
        for j, attribute in enumerate(EXAMPLE_ATTRIBUTES):
            offered = VOCABULARY.offered(style, attribute)
            chosen[attribute] = offered[(3 * i + j) % len(offered)]
        specs.append(parse_spec(chosen))
    specs.append(parse_spec({"background": VOCABULARY.values["background"][0], "seed": 7}))
    return specs


@dataclass(frozen=True)
class JobResult:
    job_id: int
    spec: AvatarSpec
    seed: int
    status: str
    image_key: Optional[str]
    error: Optional[str]
    wait_s: Optional[float]
    render_s: Optional[float]


def run_generate_command(
    settings: Settings, specs: Sequence[AvatarSpec], out: Path, *, timeout_s: float, stdout: TextIO
) -> int:
    """Returns the exit code: 0 when every avatar was made, 1 when some failed."""
    return run_jobs_command(
        settings, out, lambda session_factory: _create_jobs(session_factory, specs, settings.backend),
        timeout_s=timeout_s, stdout=stdout,
    )


# Creates the command's jobs (committed) and returns their ids.
CreateJobs = Callable[[sessionmaker[Session]], list[int]]
# Writes the finished avatars into the staged output folder and commits it; returns each job's file.
WriteResults = Callable[[Sequence[JobResult], ImageStore, OutputFolder], dict[int, Path]]


def run_jobs_command(
    settings: Settings,
    out: Path,
    create: CreateJobs,
    *,
    write: Optional[WriteResults] = None,
    timeout_s: float,
    stdout: TextIO,
) -> int:
    """Jobs -> the real queue -> a worker -> files in `out` (by `write`, a contact sheet by default).
    Returns the exit code: 0 when every avatar was made, 1 when some failed."""
    output = OutputFolder.prepare(out)  # before any job exists: a bad folder wastes no render
    store = make_image_store(settings)  # likewise: a misconfigured store is said before any job
    worker: Optional[LocalWorker] = None
    engine = None
    try:
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        session_factory = make_session_factory(engine)
        job_ids = create(session_factory)
        worker = _ensure_worker(settings, session_factory, stdout)
        results, total_s = send_and_wait(settings, session_factory, job_ids, timeout_s, worker)
        if any(r.image_key is not None for r in results):
            paths = (write or _write)(results, store, output)
        else:
            output.discard()  # a sheet of failures is not a result worth a folder
            paths = {}
        _report(results, paths, total_s, stdout)
        if not paths:
            print(f"no avatar was made, so nothing was written to {output.target}", file=stdout)
        return 0 if all(r.status != JobStatus.FAILED for r in results) else 1
    except BaseException:
        output.discard()
        raise
    finally:
        if worker is not None:
            worker.stop()
        if engine is not None:
            engine.dispose()


def _create_jobs(session_factory: sessionmaker[Session], specs: Sequence[AvatarSpec], backend: str) -> list[int]:
    with session_factory() as session:
        repo.ensure_user(session, CLI_USER_ID)
        job_ids: list[int] = []
        for spec in specs:
            rows = repo.create_jobs(
                session,
                owner_id=CLI_USER_ID,
                spec=spec,
                seeds=seeds_for(spec),
                backend=backend,
                request_id=str(uuid.uuid4()),
                visibility="private",
            )
            job_ids.extend(row.id for row in rows)
        session.commit()
    return job_ids


def send_and_wait(
    settings: Settings,
    session_factory: sessionmaker[Session],
    job_ids: Sequence[int],
    timeout_s: float,
    worker: Optional[LocalWorker],
) -> tuple[list[JobResult], float]:
    """Send the committed jobs to the queue, wait for them; their results and the seconds it took."""
    started = time.monotonic()
    producer = make_producer(settings)
    try:
        with session_factory() as session:
            dispatch_jobs(producer, session, job_ids, settings.queue_name)
    finally:
        producer.close()
    _wait(settings, session_factory, job_ids, timeout_s, worker)
    return _results(session_factory, job_ids), time.monotonic() - started


def _ensure_worker(settings: Settings, session_factory: sessionmaker[Session], stdout: TextIO) -> Optional[LocalWorker]:
    with session_factory() as session:
        alive = repo.live_workers(session, dead_after_s=settings.worker_dead_after_s, backend=settings.backend)
    if alive:
        return None
    if uses_filesystem_broker(settings):
        log_path = settings.data_dir.resolve() / "logs" / "worker.log"
        print(f"no worker is running for {settings.backend!r}: starting one (log: {log_path})", file=stdout)
        return LocalWorker.start(log_path)
    print(
        f"warning: no live worker for {settings.backend!r}; the jobs wait in {settings.queue_name!r} "
        "until `avatarbot worker` runs",
        file=stdout,
    )
    return None


def _wait(
    settings: Settings,
    session_factory: sessionmaker[Session],
    job_ids: Sequence[int],
    timeout_s: float,
    worker: Optional[LocalWorker],
) -> None:
    notifier = make_notifier(settings, session_factory)
    deadline = time.monotonic() + timeout_s
    pending = set(job_ids)
    with tqdm(total=len(job_ids), desc="avatars", unit="img", leave=False) as bar:
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AvatarError(
                    f"timed out after {timeout_s:g} s with {len(pending)} of {len(job_ids)} avatars unfinished; "
                    f"is an `avatarbot worker` running for {settings.backend!r}?"
                )
            # Wait for the oldest pending job only: wait_for returns when ALL it was given are done.
            notifier.wait_for([min(pending)], timeout=min(1.0, left))
            # The database is the source of truth: a notification missed between rounds is still seen here.
            finished = _finished_ids(session_factory, pending)
            pending -= finished
            bar.update(len(finished))
            if worker is not None and pending and worker.exit_code() is not None:
                raise AvatarError(
                    f"the worker stopped (exit code {worker.exit_code()}) before the avatars were made; "
                    f"see {worker.log_path}"
                )


def _finished_ids(session_factory: sessionmaker[Session], job_ids: set[int]) -> set[int]:
    with session_factory() as session:
        return {job_id for job_id, status in repo.job_statuses(session, job_ids).items() if status in FINISHED_STATUSES}


def _seconds(start: Optional[datetime], end: Optional[datetime]) -> Optional[float]:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def _results(session_factory: sessionmaker[Session], job_ids: Sequence[int]) -> list[JobResult]:
    results = []
    with session_factory() as session:
        for job_id in job_ids:
            row: Job = repo.get_job(session, job_id)
            results.append(
                JobResult(
                    job_id=row.id,
                    spec=row.avatar_spec,
                    seed=int(row.seed),
                    status=str(row.status),
                    image_key=row.image_key,
                    error=row.error,
                    wait_s=_seconds(row.enqueued_at or row.queued_at, row.started_at),
                    render_s=_seconds(row.started_at, row.finished_at),
                )
            )
    return results


def _write(results: Sequence[JobResult], store: ImageStore, output: OutputFolder) -> dict[int, Path]:
    from PIL import Image

    staged: dict[int, Path] = {}
    tiles: list[SheetTile] = []
    for result in results:
        caption = f"#{result.job_id} seed {result.seed}: {result.spec.describe()}"
        if result.image_key is None:
            tiles.append(SheetTile(None, f"{caption} [{result.status}: {result.error or 'no image'}]"))
            continue
        name = f"avatar-{result.job_id}.png"
        output.path(name).write_bytes(store.read_bytes(result.image_key))
        staged[result.job_id] = Path(name)
        with Image.open(output.path(name)) as image:
            tiles.append(SheetTile(image.copy(), caption))
    contact_sheet(tiles, columns=4).save(output.path(SHEET_NAME), format="PNG")
    output.commit()
    return {job_id: output.target / name for job_id, name in staged.items()}


def _report(results: Sequence[JobResult], paths: dict[int, Path], total_s: float, stdout: TextIO) -> None:
    print(f"{'job':>6}  {'status':<8} {'wait s':>7} {'render s':>8}  file / error", file=stdout)
    for r in results:
        where = str(paths[r.job_id]) if r.job_id in paths else (r.error or "")
        print(f"{r.job_id:>6}  {r.status:<8} {_fmt(r.wait_s):>7} {_fmt(r.render_s):>8}  {where}", file=stdout)
    sheet_dir = next(iter(paths.values())).parent if paths else None
    if sheet_dir is not None and (sheet_dir / SHEET_NAME).is_file():
        print(f"contact sheet: {sheet_dir / SHEET_NAME}", file=stdout)
    waits = [r.wait_s for r in results if r.wait_s is not None]
    renders = [r.render_s for r in results if r.render_s is not None]
    done = sum(1 for r in results if r.status != JobStatus.FAILED)
    print(
        f"{done}/{len(results)} avatars in {total_s:.1f} s total; "
        f"enqueue->start median {_fmt(_median(waits))} s (the first includes starting the worker); "
        f"render median {_fmt(_median(renders))} s (the first includes loading the model)",
        file=stdout,
    )


def _median(values: Sequence[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"
