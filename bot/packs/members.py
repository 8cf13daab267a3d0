"""The database side of a pack: its members (one finished job per expression), found from any one of
them, with their pictures as Discord emoji and sticker files. Synchronous; handlers run it in a thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional

from sqlalchemy.orm import Session

from bot.replies.errors import Refusal
from core.db.models import JobKind, JobStatus
from core.db.repositories import get_visible_avatar, job_statuses, request_jobs
from core.images import ImageStore
from core.pack_images import EMOJI, STICKER, fit_png
from core.vocabulary import VOCABULARY


@dataclass(frozen=True)
class Member:
    """One expression of a pack, finished or not."""

    id: int
    expression: str
    status: str
    image_key: Optional[str]
    owner_id: int
    error: Optional[str] = None

    @property
    def drawn(self) -> bool:
        return self.status == JobStatus.DONE and self.image_key is not None


class PackMembers:
    def __init__(self, session_factory: Callable[[], Session], image_store: ImageStore) -> None:
        self.session_factory = session_factory
        self.image_store = image_store

    def of(self, member_id: int, viewer_id: int) -> list[Member]:
        """Every member of the pack `member_id` belongs to, in vocabulary order of expression."""
        with self.session_factory() as session:
            job = get_visible_avatar(session, member_id, viewer_id)  # NotFound: not there, or not theirs
            if job.kind != JobKind.PACK:
                raise Refusal("pack.not_a_pack", id=member_id)
            rows = [row for row in request_jobs(session, job.request_id) if row.kind == JobKind.PACK]
            members = [
                Member(row.id, str(row.spec.get("expression")), str(row.status), row.image_key, row.owner_id, row.error)
                for row in rows
            ]
        order = VOCABULARY.values["expression"]
        return sorted(members, key=lambda m: order.index(m.expression) if m.expression in order else len(order))

    def finished(self, job_ids: Sequence[int]) -> bool:
        with self.session_factory() as session:
            statuses = job_statuses(session, job_ids)
        return all(status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.FLAGGED) for status in statuses.values())

    def picture(self, member: Member) -> bytes:
        return self.image_store.read_bytes(member.image_key or "")

    def emoji_png(self, member: Member) -> bytes:
        """128x128 under 256 KiB."""
        return fit_png(self.image_store.open(member.image_key or ""), EMOJI)

    def sticker_png(self, member: Member) -> bytes:
        """320x320 PNG under 512 KiB."""
        return fit_png(self.image_store.open(member.image_key or ""), STICKER)
