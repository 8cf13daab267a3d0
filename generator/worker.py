"""`avatarbot worker`: one Celery worker process serving one backend's queue.

The pool is solo by default: CUDA cannot be re-initialised in a forked child,
so production runs one worker process per GPU. The backend is loaded lazily,
once per process, on the first task (not in worker_process_init, whose
handlers Celery kills after 4 s). Two background threads run beside the
consumer: a heartbeat that keeps this worker's row in `workers` fresh (the
reconciler treats a stale row as a dead worker), and the periodic reconciler.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import is_up_to_date
from core.dispatch import make_producer
from core.errors import AvatarError
from core.images import ImageStore
from core.notify import JobNotifier, make_notifier
from core.settings import Settings
from generator.backends.base import GeneratorBackend
from generator.backends.registry import load_backend

log = logging.getLogger(__name__)


def make_worker_id(settings: Settings) -> str:
    """Celery node name of this process; also its row id in `workers` (unique per process)."""
    return f"avatarbot-{settings.backend}-{os.getpid()}@{socket.gethostname()}"


@dataclass
class WorkerContext:
    """Everything a task needs, built once per worker process and passed in (no globals)."""

    settings: Settings
    session_factory: sessionmaker[Session]
    image_store: ImageStore
    notifier: JobNotifier
    worker_id: str
    load_backend: Callable[[], GeneratorBackend]
    _backend: Optional[GeneratorBackend] = field(default=None, init=False, repr=False)
    _backend_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def backend(self) -> GeneratorBackend:
        """The backend, loaded on first use and kept for the life of the process."""
        with self._backend_lock:
            if self._backend is None:
                log.info("loading the %s backend", self.settings.backend)
                self._backend = self.load_backend()
                log.info("loaded %s %s", self._backend.name, self._backend.model_version)
            return self._backend

    def heartbeat(self) -> None:
        with self.session_factory() as session:
            repo.heartbeat(
                session,
                worker_id=self.worker_id,
                backend=self.settings.backend,
                hostname=socket.gethostname(),
                pid=os.getpid(),
            )
            session.commit()

    def forget(self) -> None:
        with self.session_factory() as session:
            repo.forget_worker(session, self.worker_id)
            session.commit()


class PeriodicThread(threading.Thread):
    """Runs `action` now and then every `interval_s` until stopped; failures are logged, not fatal."""

    def __init__(self, name: str, interval_s: float, action: Callable[[], object], *, first_delay_s: float = 0.0):
        super().__init__(name=name, daemon=True)
        self._interval_s = interval_s
        self._action = action
        self._first_delay_s = first_delay_s
        self._stop_event = threading.Event()

    def run(self) -> None:
        if self._stop_event.wait(self._first_delay_s):
            return
        while True:
            try:
                self._action()
            except Exception:  # keep beating through a database blip; the next round retries
                log.exception("%s failed", self.name)
            if self._stop_event.wait(self._interval_s):
                return

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout_s)


def build_worker_context(settings: Settings, session_factory: sessionmaker[Session]) -> WorkerContext:
    return WorkerContext(
        settings=settings,
        session_factory=session_factory,
        image_store=ImageStore(settings.resolved_image_dir),
        notifier=make_notifier(settings, session_factory),
        worker_id=make_worker_id(settings),
        load_backend=lambda: load_backend(settings),
    )


def run_worker(settings: Settings, *, loglevel: str = "INFO") -> int:
    """Consume settings.queue_name until told to stop; returns the exit code."""
    # Imported here: the Celery app is built only by this entry point.
    from generator.celery_app import make_celery
    from generator.reconcile import reconcile

    if not is_up_to_date(settings.resolved_database_url):
        # Migrations are an operator's step (the compose `migrate` service, `avatarbot db upgrade`).
        raise AvatarError(
            f"the database {_safe_url(settings.resolved_database_url)} is not at the newest schema; "
            "run `avatarbot db upgrade` first"
        )
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    context = build_worker_context(settings, session_factory)
    app = make_celery(settings, context)
    # The reconciler thread sends through its own producer: kombu connections are not shared across threads.
    producer = make_producer(settings)

    def reconcile_once() -> None:
        report = reconcile(settings, session_factory, producer)
        if report.changed:
            log.info("reconciler: %s", report.summary())

    heartbeat = PeriodicThread("heartbeat", settings.worker_heartbeat_s, context.heartbeat)
    # Jitter the first round so workers started together do not reconcile in lockstep.
    reconciler = PeriodicThread(
        "reconciler",
        settings.reconcile_every_s,
        reconcile_once,
        first_delay_s=random.uniform(0.2, 1.0) * settings.reconcile_every_s,
    )
    context.heartbeat()  # registered before the first message is taken
    heartbeat.start()
    reconciler.start()
    try:
        worker = app.Worker(
            hostname=context.worker_id,
            queues=[settings.queue_name],
            pool="solo",
            concurrency=1,
            loglevel=loglevel,
            without_mingle=True,
            without_gossip=True,
            without_heartbeat=True,
        )
        worker.start()
        return int(worker.exitcode or 0)
    finally:
        heartbeat.stop()
        reconciler.stop()
        try:
            context.forget()
        except Exception:  # the row goes stale and the reconciler treats it as dead
            log.exception("could not remove this worker's row")
        producer.close()
        engine.dispose()


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
