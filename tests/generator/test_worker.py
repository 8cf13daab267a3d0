"""Worker pieces that run beside the consumer: liveness rows and the periodic thread."""

from __future__ import annotations

import threading
from pathlib import Path

from core.db import repositories as repo
from core.image_stores import make_image_store
from core.notify import PollingNotifier
from core.settings import Settings
from generator.context import WorkerContext, make_worker_id
from generator.worker import PeriodicThread


def test_heartbeat_registers_the_worker_and_a_clean_shutdown_removes_it(session_factory, tmp_path: Path) -> None:
    context = WorkerContext(
        settings=Settings(data_dir=tmp_path),
        session_factory=session_factory,
        image_store=make_image_store(Settings(data_dir=tmp_path)),
        notifier=PollingNotifier(session_factory),
        worker_id=make_worker_id(Settings()),
        load_backend=lambda: (_ for _ in ()).throw(AssertionError("must not load")),
    )
    context.heartbeat()
    context.heartbeat()
    with session_factory() as session:
        [worker] = repo.live_workers(session, dead_after_s=60, backend="builtin")
    assert worker.id == context.worker_id and worker.backend == "builtin"

    context.forget()
    with session_factory() as session:
        assert repo.live_workers(session, dead_after_s=60) == []


def test_worker_id_names_the_backend_and_process() -> None:
    worker_id = make_worker_id(Settings(backend="stable-diffusion"))
    assert worker_id.startswith("avatarbot-stable-diffusion-") and "@" in worker_id


def test_periodic_thread_keeps_going_after_a_failure_and_stops_promptly() -> None:
    calls: list[int] = []
    third = threading.Event()

    def action() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database blip")
        if len(calls) >= 3:
            third.set()

    thread = PeriodicThread("test", 0.01, action)
    thread.start()
    assert third.wait(5)
    thread.stop(timeout_s=5)
    assert not thread.is_alive()


def test_worker_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    import pytest

    from core.errors import AvatarError
    from generator.worker import run_worker

    with pytest.raises(AvatarError, match="not at the newest schema; run `avatarbot db upgrade` first"):
        run_worker(Settings(data_dir=tmp_path))


def test_wake_runs_the_action_at_once_instead_of_after_the_interval() -> None:
    ran = threading.Event()
    thread = PeriodicThread("test", 3600.0, ran.set, first_delay_s=3600.0)
    thread.start()
    try:
        assert not ran.wait(0.2)
        thread.wake()
        assert ran.wait(5)
    finally:
        thread.stop(timeout_s=5)


def test_an_outage_in_a_periodic_thread_is_one_warning_line(caplog) -> None:
    import logging

    from sqlalchemy.exc import OperationalError

    failed = threading.Event()

    def action() -> None:
        failed.set()
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    thread = PeriodicThread("heartbeat", 3600.0, action)
    with caplog.at_level(logging.WARNING, logger="generator.worker"):
        thread.start()
        assert failed.wait(5)
        thread.stop(timeout_s=5)
    [record] = [r for r in caplog.records if r.name == "generator.worker"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "heartbeat failed: OperationalError" in record.getMessage()


def test_the_worker_reconciles_now_when_the_consumer_reconnects(session_factory, tmp_path: Path, caplog) -> None:
    """The consumer's bootstep fires on each (re)connection; the next round ignores the lease, and its
    summary is logged once."""
    import logging
    from datetime import timedelta

    from celery import bootsteps

    from core.db.models import utcnow
    from core.dispatch import make_producer
    from core.spec import parse_spec
    from generator.worker import ReconcileRounds, on_broker_connected_step

    settings = Settings(data_dir=tmp_path, queued_lease_s=120)
    with session_factory() as session:
        [job] = repo.create_jobs(session, owner_id=3, spec=parse_spec({}), seeds=[1], backend="builtin")
        job.queued_at = utcnow() - timedelta(seconds=5)  # its send failed 5 s ago: well inside the lease
        session.commit()
    producer = make_producer(settings)
    try:
        rounds = ReconcileRounds(settings, session_factory, producer)
        assert rounds.run_round().resent_lost == []  # a periodic round waits for the lease

        step_class = on_broker_connected_step(rounds.broker_connected)
        assert issubclass(step_class, bootsteps.StartStopStep)
        step_class.__new__(step_class).start(parent=None)  # what Celery does on every (re)connection
        with caplog.at_level(logging.INFO):
            report = rounds.run_round()
        assert report.resent_lost == [job.id]
        assert len([r for r in caplog.records if r.getMessage().startswith("reconciler:")]) == 1
        assert rounds.run_round().resent_lost == []  # the next periodic round is an ordinary one again
    finally:
        producer.close()
