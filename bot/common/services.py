"""What the bot's handlers work with, built by the entry point and passed in (never at import)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Optional

import discord
from sqlalchemy.orm import Session

from bot.common.metrics import BotMetrics
from bot.common.reply_guard import ReplyGuard
from core.export.compose import Matter
from core.export.matte import classical_matte
from core.images import ImageStore
from core.settings import Settings
from photo import PhotoReader

# Backends whose generator reads free text (the `details` option is offered only for them).
TEXT_BACKENDS = frozenset({"stable-diffusion"})

# What pressing a button under an avatar does: (interaction, services, avatar id). Each feature
# provides its own (requests: reroll, vary; gallery: save, delete; moderation: report, approve,
# reject) and bot.app hands them all to the buttons through BotServices.
ButtonAction = Callable[[discord.Interaction, "BotServices", int], Awaitable[None]]


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
    image_store: Optional[ImageStore] = None
    # Reads /avatar photo's uploads (built once: it loads the face detector; safe to share between threads).
    photo_reader: Optional[PhotoReader] = None
    # Orders the edits of one interaction reply between handlers and delivery (one per bot).
    reply_guard: ReplyGuard = field(default_factory=ReplyGuard)
    button_actions: Mapping[str, ButtonAction] = field(default_factory=lambda: MappingProxyType({}))
    metrics: Optional[BotMetrics] = None  # None: no metrics (offline tools, most tests)
    # Cuts the character out for transparent exports (core.export; the entry point picks the best one).
    matter: Matter = classical_matte

    @property
    def backend_uses_text(self) -> bool:
        return self.settings.backend in TEXT_BACKENDS
