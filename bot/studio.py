"""The bot's database and queue work. Synchronous (SQLAlchemy sessions, Celery's producer):
handlers run it with `asyncio.to_thread` so the event loop never blocks.

Order of a request, as DESIGN.md has it: checks (ban, channel, style, backend, quotas) ->
job rows committed -> messages sent by task name -> queue position for the reply.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.errors import Refusal
from bot.guild_settings import GuildSettings
from db.dispatch import dispatch_jobs
from db.repositories import (
    count_active_jobs,
    count_user_jobs_since,
    create_jobs,
    ensure_user,
    get_guild_settings,
    live_workers,
    queue_position,
)
from db.settings import Settings
from db.spec import MAX_SEED, AvatarSpec

# Quotas outside a server (direct messages), where there are no server settings.
DIRECT_MESSAGE_SETTINGS = GuildSettings()


@dataclass(frozen=True)
class CreateOrder:
    """Who asked for what, and where."""

    owner_id: int
    spec: AvatarSpec
    guild_id: Optional[int]
    channel_id: Optional[int]
    private: bool


@dataclass(frozen=True)
class Queued:
    job_ids: tuple[int, ...]
    request_id: str
    ahead: int  # queued jobs of the same backend before the first of these
    workers: int  # live workers of this backend


def seeds_for(spec: AvatarSpec) -> list[int]:
    """The seed of each image: consecutive from the given seed (reproducible), else random."""
    first = spec.seed if spec.seed is not None else secrets.randbelow(MAX_SEED + 1)
    return [(first + i) % (MAX_SEED + 1) for i in range(spec.count)]


def midnight_utc(now: datetime) -> datetime:
    """Start of `now`'s day in UTC (daily quotas reset then)."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


class Studio:
    def __init__(self, settings: Settings, session_factory: Callable[[], Session], producer: Any) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.producer = producer

    def create(self, order: CreateOrder, *, now: Optional[datetime] = None) -> Queued:
        now = now or datetime.now(UTC)
        backend = self.settings.backend
        with self.session_factory() as session:
            user = ensure_user(session, order.owner_id)
            if user.banned:
                raise Refusal("error.banned")
            rules = self._guild_settings(session, order.guild_id)
            spec = self._check_place_and_request(rules, order, backend)
            self._check_quotas(session, rules, order, now)
            jobs = create_jobs(
                session,
                owner_id=order.owner_id,
                spec=spec,
                seeds=seeds_for(order.spec),
                backend=backend,
                guild_id=order.guild_id,
                channel_id=order.channel_id,
                visibility="private" if order.private else rules.default_visibility,
            )
            session.commit()
            job_ids = tuple(job.id for job in jobs)
            request_id = jobs[0].request_id
            # Committed first: if sending fails, the reconciler re-sends the queued rows.
            dispatch_jobs(self.producer, session, job_ids, self.settings.queue_name)
            ahead = queue_position(session, job_ids[0])
            workers = len(live_workers(session, dead_after_s=self.settings.worker_dead_after_s, backend=backend))
        return Queued(job_ids=job_ids, request_id=request_id, ahead=ahead, workers=workers)

    @staticmethod
    def _guild_settings(session: Session, guild_id: Optional[int]) -> GuildSettings:
        if guild_id is None:
            return DIRECT_MESSAGE_SETTINGS
        return GuildSettings.model_validate(get_guild_settings(session, guild_id))

    @staticmethod
    def _check_place_and_request(rules: GuildSettings, order: CreateOrder, backend: str) -> AvatarSpec:
        """Refuse what this server does not allow; returns the spec to make (style fixed if it must be)."""
        if order.channel_id is not None and order.guild_id is not None and not rules.channel_allowed(order.channel_id):
            raise Refusal("error.channel_disabled")
        if rules.allowed_backends is not None and backend not in rules.allowed_backends:
            raise Refusal("error.backend_not_allowed", backend=backend)
        if rules.allowed_styles is None:
            return order.spec
        styles = [s for s in order.spec.candidate_styles() if rules.style_allowed(s)]
        if not styles:
            raise Refusal("error.style_not_allowed", allowed=", ".join(rules.allowed_styles))
        # The generator would pick any style that fits; here it may only pick an allowed one.
        return order.spec if order.spec.style is not None else order.spec.replace(style=secrets.choice(styles))

    @staticmethod
    def _check_quotas(session: Session, rules: GuildSettings, order: CreateOrder, now: datetime) -> None:
        count = order.spec.count
        active = count_active_jobs(session, order.owner_id)
        if active + count > rules.concurrent_limit:
            raise Refusal("error.too_many_running", active=active, limit=rules.concurrent_limit)
        midnight = midnight_utc(now)
        used = count_user_jobs_since(session, order.owner_id, midnight, guild_id=order.guild_id)
        if used + count > rules.daily_limit:
            reset = int((midnight + timedelta(days=1)).timestamp())
            raise Refusal("error.daily_limit", used=used, limit=rules.daily_limit, reset=f"<t:{reset}:R>")
