"""The reconciler: puts back jobs that the broker or a worker lost.

The database is the source of truth; the broker only carries "job N is ready".
Two things can strand a job:
- its message was lost (a crash between commit and send, a broker restart, a
  filesystem-transport worker killed while holding it): the job stays `queued`
  with no message in flight. After `queued_lease_s` since its last enqueue,
  and if the broker holds no message for it, it is sent again;
- its worker died while rendering (no heartbeat for `worker_dead_after_s`):
  the job goes back to `queued` and is sent again, or fails after
  `max_attempts` with an error that says so.

Several workers run this periodically (and `avatarbot reconcile` by hand), so
each re-send is guarded by an atomic conditional UPDATE of `enqueued_at`: only
the reconciler whose UPDATE matched sends the message.

What "in flight" can see: on Redis, the queue lists and the `unacked` hash
(messages a worker holds); on the filesystem transport, the message files
still in the queue folder. A message a filesystem-transport worker has taken
but not acknowledged is invisible; the lease covers it (a claimed job is no
longer `queued`).
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.repositories.leases import (
    reserve_reenqueue,
    return_job_from_dead_worker,
    stale_queued_jobs,
    stale_running_jobs,
)
from core.dispatch import GENERATE_TASK, enqueue_generate, filesystem_queue_dir, uses_filesystem_broker
from core.settings import Settings
from generator.outages import OUTAGE_ERRORS, outage_line

log = logging.getLogger(__name__)

# kombu's Redis transport keeps one list per priority step; these are its defaults.
_REDIS_PRIORITY_SEP = "\x06\x16"
_REDIS_PRIORITY_STEPS = (0, 3, 6, 9)
_REDIS_UNACKED_KEY = "unacked"


@dataclass
class ReconcileReport:
    """What one reconciler round did."""

    resent_lost: list[int] = field(default_factory=list)
    returned_from_dead: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)
    still_in_broker: list[int] = field(default_factory=list)
    raced: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.resent_lost or self.returned_from_dead or self.gave_up)

    def summary(self) -> str:
        parts = [
            f"re-sent {len(self.resent_lost)} queued job(s) whose message was lost{_ids(self.resent_lost)}",
            f"returned {len(self.returned_from_dead)} job(s) from dead workers{_ids(self.returned_from_dead)}",
            f"failed {len(self.gave_up)} job(s) out of attempts{_ids(self.gave_up)}",
        ]
        if self.still_in_broker:
            parts.append(f"left {len(self.still_in_broker)} stale job(s) whose message is still in the broker")
        if self.raced:
            parts.append(f"left {len(self.raced)} job(s) another reconciler handled")
        return "; ".join(parts)


def _ids(ids: list[int]) -> str:
    if not ids:
        return ""
    shown = ", ".join(str(i) for i in ids[:10])
    return f" ({shown}{', …' if len(ids) > 10 else ''})"


# With `now`, a queued job is re-sent whatever its lease, unless its last message is younger than
# this: two reconcilers asked at once (a broker back for every worker) then still send it once.
NOW_GUARD_S = 1.0


def reconcile(
    settings: Settings, session_factory: sessionmaker[Session], producer: Celery, *, now: bool = False
) -> ReconcileReport:
    """One round: return jobs of dead workers, re-send lost messages. Safe to run concurrently.

    `now` (after a broker outage: `avatarbot reconcile --now`, a worker reconnecting) re-sends every
    queued job that has no message in the broker without waiting for its lease to run out.
    """
    report = ReconcileReport()
    lease_s = NOW_GUARD_S if now else settings.queued_lease_s
    queue = settings.queue_name
    to_send: list[int] = []

    # Each transaction below locks several job rows: in id order, like everyone else (core.db.repositories.leases).
    with session_factory() as session:
        stale_running = stale_running_jobs(session, dead_after_s=settings.worker_dead_after_s)
        for job in sorted(stale_running, key=lambda job: job.id):
            if job.backend != settings.backend:
                continue  # another backend's reconciler (and queue) owns it
            died = f"worker {job.worker_id} died (no heartbeat for {settings.worker_dead_after_s:g} s) while rendering"
            if not return_job_from_dead_worker(session, job.id, worker_id=job.worker_id):
                report.raced.append(job.id)
                continue
            if job.attempts >= settings.max_attempts:
                repo.mark_failed(session, job.id, f"gave up after {job.attempts} attempts: {died}")
                report.gave_up.append(job.id)
            else:
                report.returned_from_dead.append(job.id)
        session.commit()

    in_flight = job_ids_in_broker(settings)
    with session_factory() as session:
        returned = set(report.returned_from_dead)
        stale = [
            job.id
            for job in stale_queued_jobs(session, lease_s=lease_s)
            if job.backend == settings.backend  # other backends' jobs belong on other queues
        ]
        for job_id in sorted(returned.union(stale)):
            if job_id not in returned and job_id in in_flight:
                report.still_in_broker.append(job_id)
                continue
            # The guard: only the reconciler whose conditional UPDATE matched sends the message.
            if reserve_reenqueue(session, job_id, lease_s=0.0 if job_id in returned else lease_s):
                to_send.append(job_id)
                if job_id not in returned:
                    report.resent_lost.append(job_id)
            elif job_id not in returned:
                report.raced.append(job_id)
        session.commit()

    enqueue_generate(producer, to_send, queue)
    for job_id in report.gave_up:
        _publish_failed(settings, session_factory, job_id)
    if report.changed:
        log.info("reconciler: %s", report.summary())
    return report


def _publish_failed(settings: Settings, session_factory: sessionmaker[Session], job_id: int) -> None:
    from core.notify import make_notifier

    try:
        make_notifier(settings, session_factory).publish(job_id, "failed")
    except OUTAGE_ERRORS as exc:
        log.warning("could not publish the failure of job %s (%s); waiters polling the database see it",
                    job_id, outage_line(exc))
    except Exception:  # the failure is committed; waiters polling the database still see it
        log.exception("could not publish the failure of job %s", job_id)


# -- what the broker holds ------------------------------------------------------


def job_ids_in_broker(settings: Settings) -> set[int]:
    """Job ids that have a generate message waiting in (or held from) the broker."""
    if uses_filesystem_broker(settings):
        return _filesystem_job_ids(filesystem_queue_dir(settings), settings.queue_name)
    return _redis_job_ids(settings.broker_url, settings.queue_name)


def _filesystem_job_ids(folder: Path, queue: str) -> set[int]:
    found: set[int] = set()
    if not folder.is_dir():
        return found
    suffix = f".{queue}.msg"
    for path in folder.iterdir():
        if not path.name.endswith(suffix):
            continue
        try:
            payload = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue  # taken by a worker while we looked, or half-written
        job_id = job_id_of_message(payload)
        if job_id is not None:
            found.add(job_id)
    return found


def _redis_job_ids(url: str, queue: str) -> set[int]:
    import redis

    found: set[int] = set()
    client = redis.Redis.from_url(url)
    try:
        keys = [queue if step == 0 else f"{queue}{_REDIS_PRIORITY_SEP}{step}" for step in _REDIS_PRIORITY_STEPS]
        raw_messages: list[Any] = []
        for key in keys:
            raw_messages.extend(client.lrange(key, 0, -1))
        for raw in client.hvals(_REDIS_UNACKED_KEY):
            try:
                raw_messages.append(json.loads(raw)[0])
            except (ValueError, IndexError, TypeError):
                continue
        for raw in raw_messages:
            try:
                payload = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
            except ValueError:
                continue
            job_id = job_id_of_message(payload)
            if job_id is not None:
                found.add(job_id)
    finally:
        client.close()
    return found


def job_id_of_message(payload: Any) -> Optional[int]:
    """The job id carried by a kombu message dict of the generate task, else None."""
    if not isinstance(payload, dict):
        return None
    headers = payload.get("headers") or {}
    if headers.get("task") != GENERATE_TASK:
        return None
    body = payload.get("body")
    try:
        if (payload.get("properties") or {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        decoded = json.loads(body)
        args = decoded[0] if isinstance(decoded, list) else decoded.get("args")
        return int(args[0])
    except (ValueError, TypeError, IndexError, KeyError, AttributeError):
        return None
