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
from typing import Any

from celery import Celery, bootsteps
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from core.db.engine import make_engine, make_session_factory, safe_url
from core.db.migrate import is_up_to_date
from core.dispatch import make_producer
from core.errors import AvatarError
from core.health import process_checks
from core.json_logs import log_formatter
from core.ops_server import OpsServer
from core.settings import Settings
from generator.celery_app import make_celery
from generator.context import build_worker_context
from generator.metrics import WorkerMetrics
from generator.outages import OUTAGE_ERRORS, install_outage_filters, outage_line
from generator.reconcile import ReconcileReport, reconcile

log = logging.getLogger(__name__)


class PeriodicThread(threading.Thread):
    """Runs `action` after `first_delay_s` and then every `interval_s` until stopped (`wake()` runs it
    at once); failures are logged as one line, not fatal."""

    def __init__(self, name: str, interval_s: float, action: Callable[[], object], *, first_delay_s: float = 0.0):
        super().__init__(name=name, daemon=True)
        self._interval_s = interval_s
        self._action = action
        self._first_delay_s = first_delay_s
        self._stop_event = threading.Event()
        self._wake_event = threading.Event()

    def run(self) -> None:
        delay = self._first_delay_s
        while True:
            self._wake_event.wait(delay)
            self._wake_event.clear()
            if self._stop_event.is_set():
                return
            try:
                self._action()
            except OUTAGE_ERRORS as exc:  # keep beating through a database or broker outage; the next round retries
                log.warning("%s failed: %s", self.name, outage_line(exc))
            except Exception:
                log.exception("%s failed", self.name)
            delay = self._interval_s

    def wake(self) -> None:
        """Run the action now instead of at the next interval."""
        self._wake_event.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop_event.set()
        self._wake_event.set()
        if self.is_alive():
            self.join(timeout_s)


class ReconcileRounds:
    """The worker's reconciler rounds: periodic ones, and a `now` round (every queued job without a
    broker message is re-sent, whatever its lease) each time the consumer (re)connects to the broker."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session], producer: Celery) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._producer = producer
        self._now_requested = threading.Event()
        self.thread = PeriodicThread(
            "reconciler",
            settings.reconcile_every_s,
            self.run_round,
            # Jitter so workers started together do not reconcile in lockstep.
            first_delay_s=random.uniform(0.2, 1.0) * settings.reconcile_every_s,
        )

    def run_round(self) -> ReconcileReport:
        now = self._now_requested.is_set()
        self._now_requested.clear()
        # reconcile() logs its summary (once) when it changed something.
        return reconcile(self._settings, self._session_factory, self._producer, now=now)

    def broker_connected(self) -> None:
        """Called from the consumer's thread: ask for a `now` round in the reconciler's thread."""
        self._now_requested.set()
        self.thread.wake()


def on_broker_connected_step(callback: Callable[[], None]) -> type[bootsteps.StartStopStep]:
    """A consumer bootstep calling `callback` each time the consumer starts: at start-up and after
    every reconnection to the broker (Celery restarts the consumer's steps then)."""

    class BrokerConnected(bootsteps.StartStopStep):
        requires = ("celery.worker.consumer.tasks:Tasks",)

        def start(self, parent: Any) -> None:
            callback()

    return BrokerConnected


def watch_device_memory(settings: Settings, metrics: WorkerMetrics) -> None:
    """Device memory on each scrape, for a worker on CUDA (torch is imported only then)."""
    if not settings.device.startswith("cuda"):
        return
    import torch

    device = torch.device(settings.device)
    metrics.watch_cuda_memory(
        str(device),
        lambda: float(torch.cuda.memory_allocated(device)),
        lambda: float(torch.cuda.memory_reserved(device)),
    )


def use_json_logs_in_celery() -> None:
    """Celery configures the worker's logging itself; give its handlers the JSON formatter afterwards."""
    from celery import signals

    def to_json(logger: logging.Logger, *args: Any, **kwargs: Any) -> None:
        for handler in logger.handlers:
            handler.setFormatter(log_formatter("json"))

    signals.after_setup_logger.connect(to_json, weak=False)
    signals.after_setup_task_logger.connect(to_json, weak=False)


def run_worker(settings: Settings, *, loglevel: str = "INFO") -> int:
    """Consume settings.queue_name until told to stop; returns the exit code."""
    if not is_up_to_date(settings.resolved_database_url):
        # Migrations are an operator's step (the compose `migrate` service, `avatarbot db upgrade`).
        raise AvatarError(
            f"the database {safe_url(settings.resolved_database_url)} is not at the newest schema; "
            "run `avatarbot db upgrade` first"
        )
    install_outage_filters()
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry, backend=settings.backend)
    watch_device_memory(settings, metrics)
    context = build_worker_context(settings, session_factory, metrics)
    app = make_celery(settings, context)
    if settings.log_format == "json":
        use_json_logs_in_celery()
    ops_server = (
        OpsServer(registry, process_checks(settings, engine, context.image_store), settings.metrics_port).start()
        if settings.metrics_port
        else None
    )
    # The reconciler thread sends through its own producer: kombu connections are not shared across threads.
    producer = make_producer(settings)

    rounds = ReconcileRounds(settings, session_factory, producer)
    app.steps["consumer"].add(on_broker_connected_step(rounds.broker_connected))
    heartbeat = PeriodicThread("heartbeat", settings.worker_heartbeat_s, context.heartbeat)
    reconciler = rounds.thread
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
        if ops_server is not None:
            ops_server.stop()
        heartbeat.stop()
        reconciler.stop()
        try:
            context.forget()
        except Exception:  # the row goes stale and the reconciler treats it as dead
            log.exception("could not remove this worker's row")
        producer.close()
        engine.dispose()
