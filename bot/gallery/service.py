"""The gallery's database work for looking at and tidying avatars: show, favourite, delete, forget,
history pages, style examples and the queue. Synchronous; handlers run it in a thread.

Files are removed from the image store only after the rows are committed, and only those no
other avatar uses (the repositories say which).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from sqlalchemy.orm import Session

from bot.common.services import BotServices
from bot.delivery.progress import eta_seconds
from bot.replies.errors import Refusal, not_configured
from bot.ui.cards import AvatarCard, card_of
from bot.ui.sheets import sheet_png
from core.db.models import JobStatus, ReviewState
from core.db.repositories import (
    add_favourite,
    count_queued,
    count_user_avatars,
    delete_avatar,
    forget_user,
    forget_user_replies,
    get_visible_avatar,
    list_user_avatars,
    live_workers,
    lock_user,
    queue_position,
    recent_render_seconds,
    style_examples,
    user_active_jobs,
)
from core.errors import NotFound
from core.images import ImageStore
from core.settings import Settings

log = logging.getLogger(__name__)

HISTORY_PAGE_SIZE = 9  # a 3 x 3 sheet
# Review states whose avatar only its owner sees (and is told why).
HIDDEN_STATES = ("pending", "rejected")


@dataclass(frozen=True)
class HistoryPage:
    cards: list[AvatarCard]
    page: int  # from 0
    pages: int
    total: int
    sheet: Optional[bytes]  # PNG, None when the page is empty


@dataclass(frozen=True)
class StyleSheet:
    examples: dict[str, int]  # style -> avatar id shown
    missing: list[str]
    sheet: Optional[bytes]


@dataclass(frozen=True)
class QueueEntry:
    avatar_id: int
    place: Optional[int]  # None: being drawn


@dataclass(frozen=True)
class QueueStatus:
    entries: list[QueueEntry]
    workers: int
    eta_s: Optional[float]  # for the user's first queued job (or a new one when none)


@dataclass(frozen=True)
class Forgotten:
    avatars: int
    files: int


class Gallery:
    def __init__(self, settings: Settings, session_factory: Callable[[], Session], image_store: ImageStore) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.image_store = image_store

    def show(self, viewer_id: int, avatar_id: int) -> AvatarCard:
        """An avatar the viewer may see, with its picture. Held or rejected ones only to their owner."""
        with self.session_factory() as session:
            avatar = get_visible_avatar(session, avatar_id, viewer_id)
            hidden = avatar.review_state in (ReviewState.PENDING, ReviewState.REJECTED)
            if avatar.owner_id != viewer_id and hidden:
                raise NotFound(f"avatar #{avatar_id} does not exist or is not yours")
            if avatar.image_key is None:
                raise Refusal("error.no_picture", id=avatar_id)
            return card_of(avatar, self.image_store, animation_files=True)

    def favourite(self, user_id: int, avatar_id: int) -> bool:
        """Save it; False when it was saved already."""
        with self.session_factory() as session:
            avatar = get_visible_avatar(session, avatar_id, user_id)
            if avatar.owner_id != user_id and avatar.review_state in (ReviewState.PENDING, ReviewState.REJECTED):
                raise NotFound(f"avatar #{avatar_id} does not exist or is not yours")
            added = add_favourite(session, user_id, avatar_id)
            session.commit()
            return added

    def delete(self, user_id: int, avatar_id: int) -> int:
        """Delete one of the user's avatars and the files no other avatar uses; returns files removed."""
        with self.session_factory() as session:
            keys = delete_avatar(session, avatar_id, owner_id=user_id)
            session.commit()
        return self._remove_files(keys)

    def forget(self, user_id: int) -> Forgotten:
        """Delete every avatar, favourite, reply row and image of a user (a ban and the audit log stay)."""
        with self.session_factory() as session:
            lock_user(session, user_id)  # first: nothing of theirs is added while it is counted and deleted
            count = count_user_avatars(session, user_id)
            forget_user_replies(session, user_id)
            keys = forget_user(session, user_id)
            session.commit()
        return Forgotten(avatars=count, files=self._remove_files(keys))

    def history(self, user_id: int, page: int) -> HistoryPage:
        """One page (from 0) of the user's avatars, newest first, as cards and a contact sheet."""
        with self.session_factory() as session:
            found = list_user_avatars(session, user_id, page=page, page_size=HISTORY_PAGE_SIZE)
            if page > 0 and not found.items and found.total:
                last = found.pages - 1
                found = list_user_avatars(session, user_id, page=last, page_size=HISTORY_PAGE_SIZE)
            cards = [card_of(avatar, self.image_store) for avatar in found.items]
        sheet = sheet_png([(f"#{c.id}", c.png) for c in cards]) if cards else None
        return HistoryPage(cards=cards, page=found.page, pages=found.pages, total=found.total, sheet=sheet)

    def styles(self, styles: tuple[str, ...]) -> StyleSheet:
        """The newest public example of each style, on one sheet; styles nobody has made yet are listed."""
        with self.session_factory() as session:
            found = style_examples(session, styles)
            examples = {style: card_of(avatar, self.image_store) for style, avatar in found.items()}
        shown = {style: card for style, card in examples.items() if card.png is not None}
        missing = [style for style in styles if style not in shown]
        sheet = sheet_png([(f"{s} #{c.id}", c.png) for s, c in shown.items()], columns=4) if shown else None
        return StyleSheet(examples={s: c.id for s, c in shown.items()}, missing=missing, sheet=sheet)

    def queue(self, user_id: int) -> QueueStatus:
        backend = self.settings.backend
        with self.session_factory() as session:
            entries = [
                QueueEntry(job.id, queue_position(session, job.id) + 1 if job.status == JobStatus.QUEUED else None)
                for job in user_active_jobs(session, user_id)
            ]
            workers = len(live_workers(session, dead_after_s=self.settings.worker_dead_after_s, backend=backend))
            mean = recent_render_seconds(session, backend)
            if entries:
                first_place = next((e.place for e in entries if e.place is not None), 1)
            else:  # a new request would join at the back
                first_place = count_queued(session, backend) + 1
        return QueueStatus(entries=entries, workers=workers, eta_s=eta_seconds(first_place - 1, workers, mean))

    def _remove_files(self, keys: list[str]) -> int:
        removed = 0
        for key in keys:
            try:
                removed += self.image_store.delete(key)
            except OSError as exc:  # the rows are gone already; a stray file is only disk space
                log.warning("could not delete image %s: %s", key[:12], exc)
        return removed


def gallery_of(services: BotServices) -> Gallery:
    """The gallery of this bot; "not available" when it was built without a database or image store."""
    if services.session_factory is None or services.image_store is None:
        raise not_configured()
    return Gallery(services.settings, services.session_factory, services.image_store)
