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
import random
import threading
from collections.abc import Callable

from core.db.engine import make_engine, make_session_factory, safe_url
from core.db.migrate import is_up_to_date
from core.dispatch import make_producer
from core.errors import AvatarError
from core.settings import Settings
from generator.celery_app import make_celery
from generator.context import build_worker_context
from generator.reconcile import reconcile

log = logging.getLogger(__name__)


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


def run_worker(settings: Settings, *, loglevel: str = "INFO") -> int:
    """Consume settings.queue_name until told to stop; returns the exit code."""
    if not is_up_to_date(settings.resolved_database_url):
        # Migrations are an operator's step (the compose `migrate` service, `avatarbot db upgrade`).
        raise AvatarError(
            f"the database {safe_url(settings.resolved_database_url)} is not at the newest schema; "
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

