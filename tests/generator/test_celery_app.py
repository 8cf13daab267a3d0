"""The worker's Celery app: the task is registered by name and retries go back through the broker."""

from __future__ import annotations

import json
from pathlib import Path

from core.db import repositories as repo
from core.db.models import JobStatus
from core.dispatch import GENERATE_TASK, filesystem_queue_dir
from core.errors import TransientGenerationError
from core.image_stores import make_image_store
from core.notify import PollingNotifier
from core.settings import Settings
from core.spec import parse_spec
from generator.celery_app import make_celery
from generator.context import WorkerContext
from generator.reconcile import job_id_of_message


class BusyBackend:
    name = "builtin"
    model_version = "busy"
    kinds = frozenset({"create"})

    def render(self, requests):
        raise TransientGenerationError("the device is busy")


def test_a_transient_failure_is_sent_again_with_a_countdown(tmp_path: Path, session_factory) -> None:
    settings = Settings(data_dir=tmp_path, retry_backoff_s=4)
    context = WorkerContext(
        settings=settings,
        session_factory=session_factory,
        image_store=make_image_store(settings),
        notifier=PollingNotifier(session_factory),
        worker_id="w@host",
        load_backend=BusyBackend,
    )
    app = make_celery(settings, context)
    with session_factory() as session:
        [row] = repo.create_jobs(session, owner_id=1, spec=parse_spec({}), seeds=[1], backend="builtin")
        session.commit()

    try:
        result = app.tasks[GENERATE_TASK](row.id)  # the task body, called directly
    finally:
        app.close()

    assert result == {"claimed": [row.id], "done": [], "failed": []}
    with session_factory() as session:
        job = repo.get_job(session, row.id)
        assert job.status == JobStatus.QUEUED and job.enqueued_at is not None
    [message_file] = filesystem_queue_dir(settings).glob("*.msg")
    payload = json.loads(message_file.read_bytes())
    assert job_id_of_message(payload) == row.id
    assert payload["headers"]["eta"] is not None  # the backoff rides on the message
