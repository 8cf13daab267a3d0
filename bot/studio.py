"""The bot's database and queue work for requests that make avatars. Synchronous (SQLAlchemy
sessions, Celery's producer): handlers run it with `asyncio.to_thread` so the event loop never
blocks.

Order of a request, as DESIGN.md has it: checks (ban, channel, style, backend, quotas) ->
job rows and the interaction's reply row committed together -> messages sent by task name ->
queue position and estimated wait for the reply. The reply row is committed with the jobs, so
a worker that finishes at once still finds how to answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.errors import Refusal
from bot.guild_settings import GuildSettings
from bot.progress import eta_seconds, summary_text
from core.db.models import Avatar, ReviewState
from core.db.repositories import (
    count_active_jobs,
    count_user_jobs_since,
    create_jobs,
    get_guild_settings,
    get_visible_avatar,
    hold_user,
    latest_user_avatar,
    live_workers,
    queue_position,
    recent_render_seconds,
    save_reply,
    update_reply,
)
from core.dispatch import dispatch_jobs
from core.errors import NotFound
from core.images import ImageStore
from core.settings import Settings
from core.spec import AvatarSpec, random_seed, seeds_for
from core.uploads import open_upload

# Quotas outside a server (direct messages), where there are no server settings.
DIRECT_MESSAGE_SETTINGS = GuildSettings()


@dataclass(frozen=True)
class Requester:
    """Who asks, and where."""

    owner_id: int
    guild_id: Optional[int]
    channel_id: Optional[int]
    private: bool = False  # asked for a private result


@dataclass(frozen=True)
class CreateOrder:
    """Who asked for what, and where (`/avatar create`)."""

    owner_id: int
    spec: AvatarSpec
    guild_id: Optional[int]
    channel_id: Optional[int]
    private: bool

    @property
    def requester(self) -> Requester:
        return Requester(self.owner_id, self.guild_id, self.channel_id, self.private)


@dataclass(frozen=True)
class ReplyTicket:
    """How the bot will answer: the interaction's token (a secret, never shown) and its expiry."""

    application_id: int
    token: str = field(repr=False)
    expires_at: datetime
    locale: str
    ephemeral: bool  # whether the deferred reply is ephemeral


@dataclass(frozen=True)
class Queued:
    job_ids: tuple[int, ...]
    request_id: str
    ahead: int  # queued jobs of the same backend before the first of these
    workers: int  # live workers of this backend
    eta_s: Optional[float]  # about how long until the first is done (None: no estimate)
    private: bool  # the jobs are private (asked for, the source's, or the server's default)
    summary: str  # the reply's first line, in the requester's language
    parent_id: Optional[int] = None


@dataclass(frozen=True)
class _JobPlan:
    """What to make, before the server's rules have been applied."""

    spec: AvatarSpec
    seeds: list[int]
    kind: str = "create"
    parent_id: Optional[int] = None
    mix_parent_id: Optional[int] = None
    params: dict[str, Any] = field(default_factory=dict)
    private_source: bool = False
    summary: Callable[[str], str] = lambda locale: ""


def midnight_utc(now: datetime) -> datetime:
    """Start of `now`'s day in UTC (daily quotas reset then)."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def guild_rules(session: Session, guild_id: Optional[int]) -> GuildSettings:
    """A server's settings (defaults where never configured; direct messages have their own)."""
    if guild_id is None:
        return DIRECT_MESSAGE_SETTINGS
    return GuildSettings.model_validate(get_guild_settings(session, guild_id))


def source_avatar(session: Session, avatar_id: int, viewer_id: int) -> Avatar:
    """An avatar the viewer may build on: visible to them, with a picture, not held or rejected."""
    avatar = get_visible_avatar(session, avatar_id, viewer_id)
    if avatar.review_state == ReviewState.PENDING:
        raise Refusal("error.under_review", id=avatar_id)
    if avatar.review_state == ReviewState.REJECTED:
        raise NotFound(f"avatar #{avatar_id} does not exist or is not yours")
    if avatar.image_key is None:
        raise Refusal("error.no_picture", id=avatar_id)
    return avatar


class Studio:
    def __init__(
        self,
        settings: Settings,
        session_factory: Callable[[], Session],
        producer: Any,
        image_store: Optional[ImageStore] = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.producer = producer
        self.image_store = image_store

    # -- the requests ---------------------------------------------------------------

    def create(
        self,
        order: CreateOrder,
        *,
        now: Optional[datetime] = None,
        reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None,
    ) -> Queued:
        spec = order.spec
        plan = _JobPlan(
            spec=spec,
            seeds=seeds_for(spec),
            summary=lambda locale: summary_text(locale, "create", spec=spec, count=spec.count),
        )
        with self.session_factory() as session:
            return self._submit(session, order.requester, plan, now=now, reply=reply, request_id=request_id)

    def reroll(
        self, who: Requester, avatar_id: Optional[int], *, reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """The same spec with a new seed; the default source is the requester's newest avatar."""
        with self.session_factory() as session:
            if avatar_id is None:
                latest = latest_user_avatar(session, who.owner_id)
                if latest is None:
                    raise Refusal("error.no_avatars")
                avatar_id = latest.id
            source = source_avatar(session, avatar_id, who.owner_id)
            spec = source.avatar_spec.replace(seed=None, count=1)
            plan = _JobPlan(
                spec=spec,
                seeds=[random_seed()],
                kind="reroll",
                parent_id=source.id,
                private_source=source.visibility == "private",
                summary=lambda locale: summary_text(locale, "reroll", spec=spec, parent_id=source.id),
            )
            return self._submit(session, who, plan, now=now, reply=reply, request_id=request_id)

    def vary(
        self, who: Requester, avatar_id: int, strength: Optional[float], *, reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """The source's spec and seed, its noise moved by `strength` towards a new variation seed
        (no strength: the job leaves it out and the backend uses its own default)."""
        params: dict[str, Any] = {"variation_seed": random_seed()}
        if strength is not None:
            params["strength"] = float(strength)
        with self.session_factory() as session:
            source = source_avatar(session, avatar_id, who.owner_id)
            plan = _JobPlan(
                spec=source.avatar_spec.replace(count=1),
                seeds=[int(source.seed)],
                kind="variation",
                parent_id=source.id,
                params=params,
                private_source=source.visibility == "private",
                summary=lambda locale: summary_text(locale, "variation", parent_id=source.id, strength=strength),
            )
            return self._submit(session, who, plan, now=now, reply=reply, request_id=request_id)

    def mix(
        self, who: Requester, first_id: int, second_id: int, *, reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """Avatar A's spec and seed mixed with avatar B's, as far as the backend's default ratio
        (the worker reads B by mix_parent_id)."""
        if first_id == second_id:
            raise Refusal("error.mix_same")
        with self.session_factory() as session:
            first = source_avatar(session, first_id, who.owner_id)
            second = source_avatar(session, second_id, who.owner_id)
            plan = _JobPlan(
                spec=first.avatar_spec.replace(count=1),
                seeds=[int(first.seed)],
                kind="mix",
                parent_id=first.id,
                mix_parent_id=second.id,
                private_source="private" in (first.visibility, second.visibility),
                summary=lambda locale: summary_text(locale, "mix", parent_id=first.id, other_id=second.id),
            )
            return self._submit(session, who, plan, now=now, reply=reply, request_id=request_id)

    def photo(
        self, who: Requester, upload: bytes, strength: Optional[float], *, reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """Check the uploaded bytes (core.uploads), keep a clean copy in the image store, make a photo job."""
        if self.image_store is None:
            raise Refusal("error.not_configured")
        # No strength: the job leaves it out and the backend uses its own (the operator's, for SD).
        params: dict[str, Any] = {} if strength is None else {"strength": float(strength)}
        picture = open_upload(upload)  # readable InvalidUpload when it cannot be used
        spec = AvatarSpec()
        plan = _JobPlan(
            spec=spec,
            seeds=[random_seed()],
            kind="photo",
            params=params,
            summary=lambda locale: summary_text(locale, "photo", strength=strength),
        )
        store = self.image_store
        with self.session_factory() as session:

            def keep_upload() -> dict[str, Any]:
                # Only once every check has passed: a refused request leaves no file behind.
                key = store.put_image(picture, {"source": "upload", "owner": str(who.owner_id)}, ai_generated=False)
                return {"source_image_key": key}

            return self._submit(
                session, who, plan, now=now, reply=reply, request_id=request_id, extra_params=keep_upload
            )

    def move_reply(self, request_id: str, *, message_id: int) -> None:
        """The reply now lives in an ephemeral follow-up (a private result that was deferred publicly)."""
        with self.session_factory() as session:
            update_reply(session, request_id, message_id=message_id, ephemeral=True)
            session.commit()

    # -- shared steps ---------------------------------------------------------------

    def _submit(
        self,
        session: Session,
        who: Requester,
        plan: _JobPlan,
        *,
        now: Optional[datetime],
        reply: Optional[ReplyTicket],
        request_id: Optional[str],
        extra_params: Optional[Callable[[], dict[str, Any]]] = None,
    ) -> Queued:
        now = now or datetime.now(UTC)
        backend = self.settings.backend
        # Held from here to the commit: a forget-me running meanwhile waits, or has already won and
        # this is refused (UserForgotten) before an uploaded picture is kept.
        user = hold_user(session, who.owner_id)
        if user.banned:
            raise Refusal("error.banned")
        rules = guild_rules(session, who.guild_id)
        spec = self._check_place_and_request(rules, who, plan.spec, backend)
        self._check_quotas(session, rules, who, len(plan.seeds), now)
        params = dict(plan.params)
        if extra_params is not None:
            params.update(extra_params())
        private = who.private or plan.private_source or rules.default_visibility == "private"
        jobs = create_jobs(
            session,
            owner_id=who.owner_id,
            spec=spec,
            seeds=plan.seeds,
            backend=backend,
            kind=plan.kind,
            guild_id=who.guild_id,
            channel_id=who.channel_id,
            parent_id=plan.parent_id,
            mix_parent_id=plan.mix_parent_id,
            params=params,
            visibility="private" if private else "public",
            request_id=request_id,
        )
        summary = plan.summary(reply.locale if reply is not None else "en")
        if reply is not None:
            save_reply(
                session,
                request_id=jobs[0].request_id,
                application_id=reply.application_id,
                token=reply.token,
                expires_at=reply.expires_at,
                user_id=who.owner_id,
                locale=reply.locale,
                ephemeral=reply.ephemeral,
                guild_id=who.guild_id,
                channel_id=who.channel_id,
                summary=summary,
            )
        session.commit()
        job_ids = tuple(job.id for job in jobs)
        # Committed first: if sending fails, the reconciler re-sends the queued rows.
        dispatch_jobs(self.producer, session, job_ids, self.settings.queue_name)
        ahead = queue_position(session, job_ids[0])
        workers = len(live_workers(session, dead_after_s=self.settings.worker_dead_after_s, backend=backend))
        mean = recent_render_seconds(session, backend)
        return Queued(
            job_ids=job_ids,
            request_id=jobs[0].request_id,
            ahead=ahead,
            workers=workers,
            eta_s=eta_seconds(ahead, workers, mean),
            private=private,
            summary=summary,
            parent_id=plan.parent_id,
        )

    @staticmethod
    def _check_place_and_request(rules: GuildSettings, who: Requester, spec: AvatarSpec, backend: str) -> AvatarSpec:
        """Refuse what this server does not allow; returns the spec to make (style fixed if it must be)."""
        if who.channel_id is not None and who.guild_id is not None and not rules.channel_allowed(who.channel_id):
            raise Refusal("error.channel_disabled")
        if rules.allowed_backends is not None and backend not in rules.allowed_backends:
            raise Refusal("error.backend_not_allowed", backend=backend)
        if rules.allowed_styles is None:
            return spec
        styles = [s for s in spec.candidate_styles() if rules.style_allowed(s)]
        if not styles:
            raise Refusal("error.style_not_allowed", allowed=", ".join(rules.allowed_styles))
        # The generator would pick any style that fits; here it may only pick an allowed one.
        return spec if spec.style is not None else spec.replace(style=secrets.choice(styles))

    @staticmethod
    def _check_quotas(session: Session, rules: GuildSettings, who: Requester, count: int, now: datetime) -> None:
        active = count_active_jobs(session, who.owner_id)
        if active + count > rules.concurrent_limit:
            raise Refusal("error.too_many_running", active=active, limit=rules.concurrent_limit)
        midnight = midnight_utc(now)
        used = count_user_jobs_since(session, who.owner_id, midnight, guild_id=who.guild_id)
        if used + count > rules.daily_limit:
            reset = int((midnight + timedelta(days=1)).timestamp())
            raise Refusal("error.daily_limit", used=used, limit=rules.daily_limit, reset=f"<t:{reset}:R>")
