"""Worker pieces that run beside the consumer: liveness rows and the periodic thread."""

from __future__ import annotations

import threading
from pathlib import Path

from core.db import repositories as repo
from core.images import ImageStore
from core.notify import PollingNotifier
from core.settings import Settings
from generator.context import WorkerContext, make_worker_id
from generator.worker import PeriodicThread


def test_heartbeat_registers_the_worker_and_a_clean_shutdown_removes_it(session_factory, tmp_path: Path) -> None:
    context = WorkerContext(
        settings=Settings(data_dir=tmp_path),
        session_factory=session_factory,
        image_store=ImageStore(tmp_path / "images"),
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
