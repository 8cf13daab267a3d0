"""The worker's Celery app: the broker configuration of core.dispatch plus the generate task.

Nothing is built at import time; `avatarbot worker` calls make_celery() with
its settings and context. The broker is Redis in production and kombu's
filesystem transport on the embedded default (see core.dispatch for how each
redelivers unacknowledged messages).
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from core.db import repositories as repo
from core.dispatch import GENERATE_TASK, enqueue_generate, make_celery_app
from core.settings import Settings
from generator.context import WorkerContext
from generator.tasks import run_generate


def make_celery(settings: Settings, context: WorkerContext) -> Celery:
    """A Celery app with the generate task bound to this worker's context."""
    app = make_celery_app(settings, name="avatarbot-worker")

    def requeue(job_ids: Sequence[int], countdown: float) -> None:
        with context.session_factory() as session:
            repo.mark_enqueued(session, job_ids)
            session.commit()
        enqueue_generate(app, job_ids, settings.queue_name, countdown=countdown)

    # shared=False: Celery would otherwise add this closure to every app created later in the process.
    @app.task(name=GENERATE_TASK, ignore_result=True, acks_late=True, shared=False)
    def generate(job_id: int) -> dict[str, list[int]]:
        outcome = run_generate(context, int(job_id), requeue=requeue)
        return {"claimed": outcome.claimed, "done": outcome.done, "failed": outcome.failed}

    return app
