"""What the bot's commands work with, built by the entry point and passed in (never at import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.errors import not_configured
from bot.gallery import Gallery
from bot.reply_guard import ReplyGuard
from bot.review_desk import ReviewDesk
from bot.studio import Studio
from core.settings import Settings

# Backends whose generator reads free text (the `details` option is offered only for them).
TEXT_BACKENDS = frozenset({"stable-diffusion"})


@dataclass(frozen=True)
class BotServices:
    """Settings plus the database, queue producer, notifier and image store the handlers use.

    Any of the last four may be missing (offline tools, tests of the command tree); a handler
    that needs a missing one answers "not available".
    """

    settings: Settings
    session_factory: Optional[Callable[[], Session]] = None
    producer: Optional[Any] = None  # a Celery app from core.dispatch.make_producer
    notifier: Optional[Any] = None  # a core.notify JobNotifier
    image_store: Optional[Any] = None  # a core.images.ImageStore
    # Orders the edits of one interaction reply between handlers and delivery (one per bot).
    reply_guard: ReplyGuard = field(default_factory=ReplyGuard)

    @property
    def backend_uses_text(self) -> bool:
        return self.settings.backend in TEXT_BACKENDS

    def studio(self) -> Optional[Studio]:
        """The database-and-queue work, where both are configured."""
        if self.session_factory is None or self.producer is None:
            return None
        return Studio(self.settings, self.session_factory, self.producer, self.image_store)

    def need_studio(self) -> Studio:
        studio = self.studio()
        if studio is None:
            raise not_configured()
        return studio

    def need_gallery(self) -> Gallery:
        if self.session_factory is None or self.image_store is None:
            raise not_configured()
        return Gallery(self.settings, self.session_factory, self.image_store)

    def need_review_desk(self) -> ReviewDesk:
        if self.session_factory is None:
            raise not_configured()
        return ReviewDesk(self.settings, self.session_factory, self.image_store)
