"""What a worker process's tasks share: settings, sessions, image store, notifier, its id, and
the backend (loaded once, on first use). Built by `generator.worker.run_worker` and passed in;
kept in its own module so the task, the Celery app and the worker entry point all import it
without importing each other."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.image_stores import make_image_store
from core.images import ImageStore
from core.notify import JobNotifier, make_notifier
from core.settings import Settings
from generator.backends.base import GeneratorBackend
from generator.backends.registry import load_backend
from generator.metrics import WorkerMetrics

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
    metrics: Optional[WorkerMetrics] = None  # None: a context without metrics (tools, tests)
    _backend: Optional[GeneratorBackend] = field(default=None, init=False, repr=False)
    _backend_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def backend(self) -> GeneratorBackend:
        """The backend, loaded on first use and kept for the life of the process."""
        with self._backend_lock:
            if self._backend is None:
                log.info("loading the %s backend", self.settings.backend)
                started = time.monotonic()
                self._backend = self.load_backend()
                if self.metrics is not None:
                    self.metrics.model_load_seconds.labels(self.settings.backend).set(time.monotonic() - started)
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
        if self.metrics is not None:
            self.metrics.heartbeat_written()

    def forget(self) -> None:
        with self.session_factory() as session:
            repo.forget_worker(session, self.worker_id)
            session.commit()


def build_worker_context(
    settings: Settings, session_factory: sessionmaker[Session], metrics: Optional[WorkerMetrics] = None
) -> WorkerContext:
    return WorkerContext(
        metrics=metrics,
        settings=settings,
        session_factory=session_factory,
        image_store=make_image_store(settings),
        notifier=make_notifier(settings, session_factory),
        worker_id=make_worker_id(settings),
        load_backend=lambda: load_backend(settings),
    )
