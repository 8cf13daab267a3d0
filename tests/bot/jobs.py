"""Helpers for bot tests: play the worker's part on the database, read back what the bot stored."""

from __future__ import annotations

import hashlib
from typing import Optional

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import repositories as repo
from db.images import ImageStore
from db.models import Avatar, InteractionReply


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


def jobs(sessions: sessionmaker[Session], owner_id: Optional[int] = None) -> list[Avatar]:
    with sessions() as session:
        query = select(Avatar).order_by(Avatar.id)
        if owner_id is not None:
            query = query.where(Avatar.owner_id == owner_id)
        return list(session.scalars(query))


def job(sessions: sessionmaker[Session], job_id: int) -> Avatar:
    with sessions() as session:
        return repo.get_job(session, job_id)


def reply_of(sessions: sessionmaker[Session], request_id: str) -> Optional[InteractionReply]:
    with sessions() as session:
        return repo.get_reply(session, request_id)
