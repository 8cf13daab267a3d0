"""What the bot's commands work with, built by the entry point and passed in (never at import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.studio import Studio
from db.settings import Settings

# Backends whose generator reads free text (the `details` option is offered only for them).
TEXT_BACKENDS = frozenset({"stable-diffusion"})


@dataclass(frozen=True)
class BotServices:
    """Settings plus the database, queue producer, notifier and image store the handlers use.

    Any of the last four may be missing (offline tools, tests of the command tree).
    """

    settings: Settings
    session_factory: Optional[Callable[[], Session]] = None
    producer: Optional[Any] = None  # a Celery app from db.dispatch.make_producer
    notifier: Optional[Any] = None  # a db.notify JobNotifier
    image_store: Optional[Any] = None  # a db.images.ImageStore

    @property
    def backend_uses_text(self) -> bool:
        return self.settings.backend in TEXT_BACKENDS

    def studio(self) -> Optional[Studio]:
        """The database-and-queue work, where both are configured."""
        if self.session_factory is None or self.producer is None:
            return None
        return Studio(self.settings, self.session_factory, self.producer)
