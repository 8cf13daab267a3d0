"""The moderators' database work: decisions, reports, bans, the review queue and the audit log.

Every moderator action is written to the audit log in the same transaction as the change it
records. Synchronous; handlers run it in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot.common.guild_settings import guild_rules
from bot.common.services import BotServices
from bot.replies.errors import Refusal, not_configured
from bot.ui.cards import AvatarCard, card_of
from bot.ui.sheets import sheet_png
from core.db.models import Job, ReviewState
from core.db.repositories import (
    get_job,
    get_visible_avatar,
    moderation_log_page,
    record_moderation_action,
    review_queue_page,
    set_banned,
    set_review_state,
)
from core.errors import NotFound
from core.images import ImageStore
from core.settings import Settings

PENDING_PAGE_SIZE = 9


@dataclass(frozen=True)
class PendingPage:
    cards: list[AvatarCard]
    page: int
    pages: int
    total: int
    sheet: Optional[bytes]


@dataclass(frozen=True)
class LogEntry:
    at: datetime
    moderator_id: int
    action: str
    target_user_id: Optional[int]
    avatar_id: Optional[int]
    reason: Optional[str]


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Report:
    card: AvatarCard  # with its picture, for the moderators' copy
    review_channel: Optional[int]
    moderator_locale: str


class ReviewDesk:
    def __init__(
        self, settings: Settings, session_factory: Callable[[], Session], image_store: Optional[ImageStore]
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.image_store = image_store

    def decide(
        self, *, guild_id: int, moderator_id: int, avatar_id: int, approve: bool, reason: Optional[str] = None
    ) -> AvatarCard:
        """Approve or reject an avatar waiting for review in this server, and log it."""
        with self.session_factory() as session:
            avatar = self._in_server(session, avatar_id, guild_id)
            if avatar.review_state != ReviewState.PENDING:
                raise Refusal("error.not_pending", id=avatar_id)
            state = ReviewState.APPROVED if approve else ReviewState.REJECTED
            set_review_state(session, avatar_id, state)
            record_moderation_action(
                session,
                moderator_id=moderator_id,
                action="approve" if approve else "reject",
                target_user_id=avatar.owner_id,
                avatar_id=avatar_id,
                guild_id=guild_id,
                reason=reason,
            )
            session.commit()
            return card_of(avatar)

    def report(self, *, reporter_id: int, avatar_id: int, guild_id: Optional[int]) -> Report:
        """Put a shown avatar back in front of the moderators (pending), and log who asked."""
        with self.session_factory() as session:
            avatar = get_visible_avatar(session, avatar_id, reporter_id)
            if avatar.review_state == ReviewState.PENDING:
                raise Refusal("report.already", id=avatar_id)
            if avatar.review_state == ReviewState.REJECTED:
                raise NotFound(f"avatar #{avatar_id} does not exist or is not yours")
            set_review_state(session, avatar_id, ReviewState.PENDING)
            record_moderation_action(
                session,
                moderator_id=reporter_id,
                action="report",
                target_user_id=avatar.owner_id,
                avatar_id=avatar_id,
                guild_id=avatar.guild_id if avatar.guild_id is not None else guild_id,
            )
            rules = guild_rules(session, avatar.guild_id)
            session.commit()
            return Report(card_of(avatar, self.image_store), rules.review_channel, rules.moderator_locale)

    def pending(self, *, guild_id: int, page: int) -> PendingPage:
        with self.session_factory() as session:
            found = review_queue_page(session, guild_id=guild_id, page=page, page_size=PENDING_PAGE_SIZE)
            cards = [card_of(avatar, self.image_store) for avatar in found.items]
        sheet = sheet_png([(f"#{c.id}", c.png) for c in cards]) if cards else None
        return PendingPage(cards=cards, page=found.page, pages=found.pages, total=found.total, sheet=sheet)

    def set_ban(
        self, *, guild_id: int, moderator_id: int, user_id: int, banned: bool, reason: Optional[str] = None
    ) -> None:
        with self.session_factory() as session:
            set_banned(session, user_id, banned, reason)
            record_moderation_action(
                session,
                moderator_id=moderator_id,
                action="ban" if banned else "unban",
                target_user_id=user_id,
                guild_id=guild_id,
                reason=reason,
            )
            session.commit()

    def log(self, *, guild_id: int, user_id: Optional[int], page: int, page_size: int = 10) -> LogPage:
        with self.session_factory() as session:
            found = moderation_log_page(
                session, guild_id=guild_id, target_user_id=user_id, page=page, page_size=page_size
            )
            entries = [
                LogEntry(e.created_at, e.moderator_id, str(e.action), e.target_user_id, e.avatar_id, e.reason)
                for e in found.items
            ]
        return LogPage(entries=entries, page=found.page, pages=found.pages, total=found.total)

    @staticmethod
    def _in_server(session: Session, avatar_id: int, guild_id: int) -> Job:
        avatar = get_job(session, avatar_id)
        if avatar.guild_id != guild_id:
            raise Refusal("error.not_in_server", id=avatar_id)
        return avatar


def desk_of(services: BotServices) -> ReviewDesk:
    """The review desk of this bot; "not available" when it was built without a database."""
    if services.session_factory is None:
        raise not_configured()
    return ReviewDesk(services.settings, services.session_factory, services.image_store)
