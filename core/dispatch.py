"""The broker contract shared by every producer (bot, CLI, reconciler) and the worker.

The database is the source of truth for a job; a broker message only says
"job N is ready". Producers send the generate task BY NAME, so the bot never
imports `generator`. Both sides build their Celery configuration here, from
Settings, so they always agree on the transport, the queue and the serializer.

Brokers:
- Redis (production): unacknowledged messages sit in the `unacked` hash and
  are redelivered after `visibility_timeout` (kept above the longest render).
- kombu's filesystem transport (embedded default, no server, works across
  processes): a message is a file that the consuming worker moves out of the
  folder when it takes it; until it acknowledges, the message lives only in
  that worker's memory. A clean shutdown (or a reject) writes unacknowledged
  messages back, so `acks_late` redelivers them; a worker killed with SIGKILL
  loses them, and the reconciler puts the job back from the database instead.
  The transport has no priorities.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from celery import Celery
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy.orm import Session

from core.db.repositories import mark_enqueued
from core.errors import BrokerUnavailable
from core.settings import Settings

GENERATE_TASK = "avatarbot.generate"

# What a producer raises when the broker is down (kombu wraps most transports' errors in its own).
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuOperationalError, ConnectionError, OSError)

# The filesystem transport polls its folder; short enough to feel instant, long
# enough not to spin a core.
FILESYSTEM_POLL_S = 0.05


def broker_url(settings: Settings) -> str:
    """The kombu URL of the configured broker ("filesystem" means the embedded one)."""
    if settings.broker_url == "filesystem":
        return "filesystem://"
    return settings.broker_url


def uses_filesystem_broker(settings: Settings) -> bool:
    return broker_url(settings).startswith("filesystem://")


def filesystem_queue_dir(settings: Settings) -> Path:
    """Folder holding the filesystem transport's pending message files."""
    return settings.broker_dir / "queue"


def filesystem_control_dir(settings: Settings) -> Path:
    """Folder holding the filesystem transport's exchange tables."""
    return settings.broker_dir / "control"


def transport_options(settings: Settings) -> dict[str, Any]:
    if uses_filesystem_broker(settings):
        queue_dir = str(filesystem_queue_dir(settings))
        return {
            # One folder for both directions: producers write where consumers read.
            "data_folder_in": queue_dir,
            "data_folder_out": queue_dir,
            "control_folder": str(filesystem_control_dir(settings)),
            "polling_interval": FILESYSTEM_POLL_S,
        }
    return {"visibility_timeout": settings.visibility_timeout_s}


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings shared by the worker and every producer."""
    filesystem = uses_filesystem_broker(settings)
    return {
        "broker_url": broker_url(settings),
        "broker_transport_options": transport_options(settings),
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        # Results live in the database, not in Celery.
        "task_ignore_result": True,
        "result_backend": None,
        # A message is acknowledged only after its task ran; the atomic claim makes redelivery harmless.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": settings.queue_name,
        "task_routes": {GENERATE_TASK: {"queue": settings.queue_name}},
        # Honoured by the prefork pool; the solo pool enforces them in generator.time_limits.
        "task_soft_time_limit": settings.task_soft_time_limit_s,
        "task_time_limit": settings.task_time_limit_s,
        # Remote control needs fanout mailboxes: useless files on the filesystem transport.
        "worker_enable_remote_control": not filesystem,
        "worker_send_task_events": False,
        # A render is not cancelled when the broker connection drops; the claim stops a second render.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "enable_utc": True,
    }


def make_celery_app(settings: Settings, name: str = "avatarbot") -> Celery:
    """A Celery app configured for this deployment's broker, with no tasks registered."""
    if uses_filesystem_broker(settings):
        filesystem_queue_dir(settings).mkdir(parents=True, exist_ok=True)
        filesystem_control_dir(settings).mkdir(parents=True, exist_ok=True)
    app = Celery(name, set_as_current=False)
    app.conf.update(celery_config(settings))
    return app


def make_producer(settings: Settings) -> Celery:
    """A bare Celery app for sending tasks by name (bot, CLI, reconciler)."""
    return make_celery_app(settings, name="avatarbot-producer")


def enqueue_generate(
    producer: Celery, job_ids: Sequence[int], queue: str, *, countdown: Optional[float] = None
) -> None:
    """Send one generate message per job id, by task name.

    Raises BrokerUnavailable when the broker cannot be reached (after Celery's own publish retries).
    """
    try:
        for job_id in job_ids:
            producer.send_task(GENERATE_TASK, args=[int(job_id)], queue=queue, countdown=countdown)
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(f"the queue's broker cannot be reached ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def dispatch_jobs(producer: Celery, session: Session, job_ids: Sequence[int], queue: str) -> None:
    """Record that the jobs are being enqueued, commit, then send their messages.

    The jobs themselves must already be committed. If sending fails after the
    commit (BrokerUnavailable), the reconciler finds the jobs queued with no
    message and re-sends them: once the lease runs out, at once with
    `avatarbot reconcile --now`, and when a worker reconnects to the broker.
    """
    if not job_ids:
        return
    mark_enqueued(session, job_ids)
    session.commit()
    enqueue_generate(producer, job_ids, queue)
