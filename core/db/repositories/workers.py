"""Worker liveness: each worker process upserts a heartbeat row; the reconciler reads them."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db.models import Worker, utcnow
from core.db.repositories._common import upsert
from core.db.repositories.leases import expired_before


def heartbeat(session: Session, *, worker_id: str, backend: str, hostname: str, pid: int) -> None:
    """Say this worker is alive now (registers it on the first call)."""
    now = utcnow()
    values = {
        "id": worker_id,
        "backend": backend,
        "hostname": hostname,
        "pid": pid,
        "started_at": now,
        "last_seen": now,
    }
    upsert(session, Worker, values, ["id"], ["backend", "hostname", "pid", "last_seen"])
    existing = session.identity_map.get(session.identity_key(Worker, worker_id))  # type: ignore[arg-type]
    if existing is not None:
        session.expire(existing)


def forget_worker(session: Session, worker_id: str) -> None:
    """Remove a worker that is shutting down cleanly (its running jobs then count as stale)."""
    session.execute(delete(Worker).where(Worker.id == worker_id))


def live_workers(session: Session, *, dead_after_s: float, backend: Optional[str] = None) -> list[Worker]:
    """Workers seen within the last `dead_after_s` seconds, optionally of one backend."""
    cutoff = expired_before(dead_after_s)
    query = select(Worker).where(Worker.last_seen >= cutoff).order_by(Worker.id)
    if backend is not None:
        query = query.where(Worker.backend == backend)
    return list(session.scalars(query))
