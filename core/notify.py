"""Finished-job notifications, for the bot and the CLI, without importing the generator.

The worker commits a job's new status, then calls `notifier.publish(job_id, status)`.
Waiters either block (`wait_for`, for the CLI) or iterate (`async for event in
notifier.events()`, for the bot's event loop).

Two implementations, chosen by `make_notifier`:

- RedisNotifier: Redis pub/sub on one channel, plus a short-lived status key per job
  so a waiter that subscribes after the job finished still sees it.
- PollingNotifier: no server; the committed rows are the notification, and waiters
  poll the database for finished jobs.

Notifications are a fast path, not the record: the database is. A waiter that must
not miss a job (the bot's delivery after a restart) also checks the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import FINISHED_STATUSES, Job
from core.db.repositories import job_statuses, jobs_finished_since
from core.settings import Settings

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
DEFAULT_CHANNEL = "avatarbot:jobs"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class JobEvent:
    """A job reached `status` (done, failed or flagged; Redis may also carry others a worker publishes)."""

    job_id: int
    status: str


class JobNotifier(ABC):
    """Tells waiters that jobs have changed status."""

    @abstractmethod
    def publish(self, job_id: int, status: str) -> None:
        """Announce a status the caller has already committed (called by the worker)."""

    @abstractmethod
    def wait_for(self, job_ids: Collection[int], timeout: float) -> dict[int, str]:
        """Block until every job has finished or `timeout` seconds pass.

        Returns {job_id: status} for the jobs that finished (all of them unless it timed out).
        """

    @abstractmethod
    def events(self) -> AsyncIterator[JobEvent]:
        """Job events from now on, for as long as the caller iterates."""

    def close(self) -> None:  # noqa: B027 - optional hook; most notifiers hold nothing
        """Release connections (a notifier can be used again afterwards)."""


# -- Redis ----------------------------------------------------------------------


class RedisNotifier(JobNotifier):
    """Pub/sub on `channel`; each published status is also kept for `status_ttl_s` under
    `<channel>:status:<job_id>`, so late subscribers do not wait for a job already finished."""

    def __init__(
        self,
        url: str,
        *,
        channel: str = DEFAULT_CHANNEL,
        status_ttl_s: int = 24 * 3600,
        session_factory: Optional[SessionFactory] = None,
        reconnect_delay_s: float = 1.0,
    ) -> None:
        self.url = url
        self.channel = channel
        self.status_ttl_s = status_ttl_s
        # With a database, wait_for also reads committed statuses (a worker may have died before publishing).
        self.session_factory = session_factory
        self.reconnect_delay_s = reconnect_delay_s
        self._client: Any = None

    def __repr__(self) -> str:
        return f"RedisNotifier(channel={self.channel!r})"

    def _redis(self) -> Any:
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self.url, decode_responses=True)
        return self._client

    def _status_key(self, job_id: int) -> str:
        return f"{self.channel}:status:{job_id}"

    def publish(self, job_id: int, status: str) -> None:
        pipe = self._redis().pipeline(transaction=False)
        pipe.set(self._status_key(job_id), status, ex=self.status_ttl_s)
        pipe.publish(self.channel, _encode(job_id, status))
        pipe.execute()

    def wait_for(self, job_ids: Collection[int], timeout: float) -> dict[int, str]:
        wanted = set(job_ids)
        finished: dict[int, str] = {}
        if not wanted:
            return finished
        deadline = time.monotonic() + timeout
        pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
        try:
            # Subscribe first, then look at what already happened: nothing falls in between.
            pubsub.subscribe(self.channel)
            ordered = sorted(wanted)
            stored = self._redis().mget([self._status_key(j) for j in ordered])
            finished.update({j: s for j, s in zip(ordered, stored, strict=True) if s in FINISHED_STATUSES})
            if self.session_factory is not None and len(finished) < len(wanted):
                finished.update(_finished_in_db(self.session_factory, wanted - finished.keys()))
            while len(finished) < len(wanted):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                message = pubsub.get_message(timeout=left)
                event = _decode(message)
                if event is not None and event.job_id in wanted and event.status in FINISHED_STATUSES:
                    finished[event.job_id] = event.status
        finally:
            pubsub.close()
        return finished

    async def events(self) -> AsyncIterator[JobEvent]:
        import redis.asyncio as aioredis
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        while True:
            client = aioredis.Redis.from_url(self.url, decode_responses=True)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    event = _decode(message)
                    if event is not None:
                        yield event
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                # Events sent while disconnected are lost; the database still has them.
                log.warning("lost the Redis notification channel (%s); reconnecting", exc)
                await asyncio.sleep(self.reconnect_delay_s)
            finally:
                await pubsub.aclose()
                await client.aclose()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _encode(job_id: int, status: str) -> str:
    return json.dumps({"job_id": int(job_id), "status": str(status)}, separators=(",", ":"))


def _decode(message: Optional[dict[str, Any]]) -> Optional[JobEvent]:
    if not message or message.get("type") != "message":
        return None
    try:
        data = json.loads(message["data"])
        return JobEvent(job_id=int(data["job_id"]), status=str(data["status"]))
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed job notification: %r", message.get("data"))
        return None


# -- database polling -------------------------------------------------------------


class PollingNotifier(JobNotifier):
    """No server needed: the committed status is the notification; waiters poll for it.

    `events()` follows the newest finish time it has seen (so clocks of other machines
    do not matter) and asks again from `overlap_s` before it, dropping repeats, because
    commits of several workers land out of order.
    """

    def __init__(self, session_factory: SessionFactory, *, interval_s: float = 0.5, overlap_s: float = 10.0) -> None:
        self.session_factory = session_factory
        self.interval_s = interval_s
        self.overlap_s = overlap_s

    def __repr__(self) -> str:
        return f"PollingNotifier(interval_s={self.interval_s})"

    def publish(self, job_id: int, status: str) -> None:
        """Nothing to send: waiters read the committed row."""

    def wait_for(self, job_ids: Collection[int], timeout: float) -> dict[int, str]:
        wanted = set(job_ids)
        deadline = time.monotonic() + timeout
        while True:
            finished = _finished_in_db(self.session_factory, wanted)
            left = deadline - time.monotonic()
            if len(finished) == len(wanted) or left <= 0:
                return finished
            time.sleep(min(self.interval_s, left))

    async def events(self) -> AsyncIterator[JobEvent]:
        overlap = timedelta(seconds=self.overlap_s)
        seen: dict[tuple[int, str], datetime] = {}
        cursor = await asyncio.to_thread(self._latest_finish)
        if cursor is not None:
            # Jobs that finished before we started listening are not news.
            for job_id, status, finished_at in await asyncio.to_thread(self._finished_since, cursor - overlap):
                seen[(job_id, status)] = finished_at
        while True:
            since = cursor - overlap if cursor is not None else _EPOCH
            rows = await asyncio.to_thread(self._finished_since, since)
            for job_id, status, finished_at in rows:
                if (job_id, status) in seen:
                    continue
                seen[(job_id, status)] = finished_at
                yield JobEvent(job_id=job_id, status=status)
            if rows:
                newest = max(finished_at for _, _, finished_at in rows)
                cursor = newest if cursor is None else max(cursor, newest)
            if cursor is not None:
                seen = {k: t for k, t in seen.items() if t >= cursor - overlap}
            await asyncio.sleep(self.interval_s)

    def _latest_finish(self) -> Optional[datetime]:
        with self.session_factory() as session:
            return session.scalar(select(func.max(Job.finished_at)))

    def _finished_since(self, since: datetime) -> list[tuple[int, str, datetime]]:
        with self.session_factory() as session:
            return [
                (job.id, str(job.status), job.finished_at)
                for job in jobs_finished_since(session, since, limit=5000)
                if job.finished_at is not None
            ]


def _finished_in_db(session_factory: SessionFactory, job_ids: Collection[int]) -> dict[int, str]:
    with session_factory() as session:
        return {j: str(s) for j, s in job_statuses(session, job_ids).items() if s in FINISHED_STATUSES}


def make_notifier(settings: Settings, session_factory: SessionFactory) -> JobNotifier:
    """Redis pub/sub when Settings gives a Redis URL (redis_url, or a Redis broker), else database polling."""
    url = settings.notification_redis_url
    if url:
        return RedisNotifier(url, session_factory=session_factory)
    return PollingNotifier(session_factory)
