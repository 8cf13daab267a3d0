"""Helpers for bot tests: play the worker's part on the database, read back what the bot stored."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Optional

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.models import InteractionReply, Job
from core.images import ImageStore


def finish_job(
    sessions: sessionmaker[Session],
    store: ImageStore,
    job_id: int,
    *,
    flagged: bool = False,
    error: Optional[str] = None,
    colour: Optional[tuple[int, int, int]] = None,
) -> int:
    """Claim the job and finish it as a worker would: a stored picture (a colour from the id unless
    given) and done/flagged, or failed with `error`. Returns the job id."""
    with sessions() as session:
        repo.claim_jobs(session, job_id, worker_id="test-worker", backend="builtin")
        if error is not None:
            repo.mark_failed(session, job_id, error)
        else:
            shade = colour or tuple(hashlib.sha256(str(job_id).encode()).digest()[:3])
            key = store.put_image(Image.new("RGB", (64, 64), shade), {"job_id": str(job_id)})
            repo.mark_done(session, job_id, image_key=key, model_version="test", flagged=flagged)
        session.commit()
    return job_id


def jobs(sessions: sessionmaker[Session], owner_id: Optional[int] = None) -> list[Job]:
    with sessions() as session:
        query = select(Job).order_by(Job.id)
        if owner_id is not None:
            query = query.where(Job.owner_id == owner_id)
        return list(session.scalars(query))


def job(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as session:
        return repo.get_job(session, job_id)


def reply_of(sessions: sessionmaker[Session], request_id: str) -> Optional[InteractionReply]:
    with sessions() as session:
        return repo.get_reply(session, request_id)


def moved_to_follow_up(reply: InteractionReply) -> bool:
    """The bot recorded the private follow-up its reply moved to (bot.requests.submit.queue_request)."""
    return reply.message_id is not None


async def reply_when(
    sessions: sessionmaker[Session],
    request_id: str,
    condition: Callable[[InteractionReply], bool],
    *,
    what: str,
    timeout: float = 10.0,
) -> InteractionReply:
    """The request's reply row once `condition` holds, polled until `timeout`.

    The bot records some changes only after the Discord call a test waits for (the move to a
    private follow-up needs the follow-up's id), so reading the row right away races the bot.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        # Read in a thread: the bot's handler shares this event loop and must keep running.
        reply = await asyncio.to_thread(reply_of, sessions, request_id)
        if reply is not None and condition(reply):
            return reply
        if loop.time() >= deadline:
            seen = "no row" if reply is None else f"ephemeral={reply.ephemeral} message_id={reply.message_id}"
            raise AssertionError(f"the reply of request {request_id} was not {what} within {timeout}s ({seen})")
        await asyncio.sleep(0.02)
