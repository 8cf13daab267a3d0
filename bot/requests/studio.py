"""The requests' database and queue work: create, re-roll, vary, mix, photo, animate. Synchronous (SQLAlchemy
sessions, Celery's producer): handlers run it with `asyncio.to_thread` so the event loop never
blocks.

Order of a request, as DESIGN.md has it: checks (ban; channel, style, backend and quotas in
bot.requests.rules) ->
job rows and the interaction's reply row committed together -> messages sent by task name ->
queue position and estimated wait for the reply. The reply row is committed with the jobs, so
a worker that finishes at once still finds how to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.common.guild_settings import guild_rules
from bot.common.services import BotServices
from bot.delivery.progress import (
    edit_summary_text,
    eta_seconds,
    pack_summary_text,
    photo_fix_summary_text,
    photo_summary_text,
    summary_text,
)
from bot.replies.errors import Refusal, not_configured
from bot.requests.photo_order import PhotoOrder
from bot.requests.rules import Requester, check_place_and_request, check_quotas, own_source, source_avatar
from core.db.repositories import (
    create_jobs,
    hold_user,
    latest_user_avatar,
    live_workers,
    queue_position,
    recent_render_seconds,
    save_reply,
    update_reply,
)
from core.dispatch import dispatch_jobs
from core.errors import BrokerUnavailable, InvalidAnimation
from core.export.animation import ANIMATABLE_KINDS, check_motion
from core.images import ImageStore
from core.looks import clean_name_base, emoji_names, look_params, plan_edit, plan_pack
from core.settings import Settings
from core.spec import AvatarSpec, random_seed, seeds_for

log = logging.getLogger(__name__)


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
    sent: bool = True  # False: the broker was down; the committed jobs are re-sent when it is back


@dataclass(frozen=True)
class _JobPlan:
    """What to make, before the server's rules have been applied."""

    spec: AvatarSpec
    seeds: list[int]
    kind: str = "create"
    parent_id: Optional[int] = None
    mix_parent_id: Optional[int] = None
    params: dict[str, Any] = field(default_factory=dict)
    photo_reading: Optional[dict[str, Any]] = None
    private_source: bool = False
    summary: Callable[[str], str] = lambda locale: ""
    # A pack: one job per spec (all from seeds[0]), sharing the request id; `spec` is the first.
    more_specs: tuple[AvatarSpec, ...] = ()

    @property
    def specs(self) -> tuple[AvatarSpec, ...]:
        return (self.spec, *self.more_specs)


@dataclass(frozen=True)
class PackQueued:
    """A queued pack: its jobs in expression order, and the emoji names chosen for them."""

    queued: Queued
    source_id: int
    expressions: tuple[str, ...]
    names: dict[str, str]
    base_name: str  # the emoji names are <base_name>_<expression>


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
        self, who: Requester, order: PhotoOrder, *, reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """A photo job: the spec read from the photo (bot.requests.photo_order), drawn like a create;
        the job keeps what was read, never the photo. Only for a backend that repaints the photo is
        its clean copy stored, for the worker, which deletes it once the avatar is drawn."""
        if order.repaint and self.image_store is None:
            raise Refusal("error.not_configured")
        plan = _JobPlan(
            spec=order.spec,
            seeds=[random_seed()],
            kind="photo",
            photo_reading=order.reading(),
            summary=lambda locale: photo_summary_text(locale, order.spec, order.read, repaint=order.repaint),
        )
        keep_upload: Optional[Callable[[], dict[str, Any]]] = None
        if order.repaint:
            store, picture = self.image_store, order.picture

            def keep_upload() -> dict[str, Any]:
                # Only once every check has passed: a refused request leaves no file behind.
                key = store.put_image(picture, {"source": "upload", "owner": str(who.owner_id)}, ai_generated=False)
                return {"source_image_key": key}

        with self.session_factory() as session:
            return self._submit(
                session, who, plan, now=now, reply=reply, request_id=request_id, extra_params=keep_upload
            )

    def animate(
        self, who: Requester, avatar_id: int, motion: str, *, reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """A looping animation of one of the requester's own avatars: its spec and seed, the motion
        in the job's params; the worker draws the frames (core.export.animation plans them)."""
        with self.session_factory() as session:
            source = source_avatar(session, avatar_id, who.owner_id)
            if source.owner_id != who.owner_id:
                raise Refusal("animate.not_yours", id=avatar_id)
            if str(source.kind) not in ANIMATABLE_KINDS:
                raise Refusal("animate.kind", id=avatar_id)
            spec = source.avatar_spec.replace(count=1)
            try:
                check_motion(motion, spec)
            except InvalidAnimation as exc:
                raise Refusal("animate.cannot", id=avatar_id, detail=str(exc)) from exc
            plan = _JobPlan(
                spec=spec,
                seeds=[int(source.seed)],
                kind="animation",
                parent_id=source.id,
                params={"motion": motion},
                private_source=source.visibility == "private",
                summary=lambda locale: summary_text(locale, "animation", parent_id=source.id, motion=motion),
            )
            return self._submit(session, who, plan, now=now, reply=reply, request_id=request_id)

    def reading_of(self, who: Requester, avatar_id: int) -> tuple[AvatarSpec, dict[str, str]]:
        """A photo avatar's spec and what was read from its photo, for "Edit what was read"."""
        with self.session_factory() as session:
            source = source_avatar(session, avatar_id, who.owner_id)
            if source.photo_reading is None:
                raise Refusal("photo.not_from_photo", id=avatar_id)
            return source.avatar_spec, dict(source.photo_reading.get("read") or {})

    def fix_reading(
        self, who: Requester, avatar_id: int, attribute: str, value: str, *, reply: Optional[ReplyTicket] = None,
        request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """The photo avatar again with one attribute changed: its spec and seed, a child photo job
        that keeps what was read (no photo is needed: only the spec is drawn)."""
        with self.session_factory() as session:
            source = source_avatar(session, avatar_id, who.owner_id)
            if source.photo_reading is None:
                raise Refusal("photo.not_from_photo", id=avatar_id)
            spec = source.avatar_spec.replace(count=1, **{attribute: value})  # InvalidSpec when it cannot be drawn
            plan = _JobPlan(
                spec=spec,
                seeds=[int(source.seed)],
                kind="photo",
                parent_id=source.id,
                photo_reading=dict(source.photo_reading),
                private_source=source.visibility == "private",
                summary=lambda locale: photo_fix_summary_text(locale, source.id, attribute, value),
            )
            return self._submit(session, who, plan, now=now, reply=reply, request_id=request_id)

    def look_of(self, who: Requester, avatar_id: int) -> AvatarSpec:
        """The spec of one of the person's own avatars, for the Edit choice."""
        with self.session_factory() as session:
            return own_source(session, avatar_id, who.owner_id).avatar_spec

    def edit(
        self, who: Requester, avatar_id: int, changes: dict[str, Optional[str]], *,
        reply: Optional[ReplyTicket] = None, request_id: Optional[str] = None, now: Optional[datetime] = None,
    ) -> Queued:
        """The person's own avatar with some attributes changed: its spec and seed, a child edit job
        (the worker keeps the character; a new style draws it anew)."""
        with self.session_factory() as session:
            source = own_source(session, avatar_id, who.owner_id)
            look = plan_edit(source.avatar_spec, changes)  # InvalidLook: nothing changed, not drawable
            plan = _JobPlan(
                spec=look.edited,
                seeds=[int(source.seed)],
                kind="edit",
                parent_id=source.id,
                params=look_params(look.source),
                private_source=source.visibility == "private",
                summary=lambda locale: edit_summary_text(locale, source.id, look.changed, redraw=look.redraw,
                                                         dropped=look.dropped),
            )
            return self._submit(session, who, plan, now=now, reply=reply, request_id=request_id)

    def pack(
        self, who: Requester, avatar_id: int, name: Optional[str], *, request_id: Optional[str] = None,
        now: Optional[datetime] = None,
    ) -> PackQueued:
        """The person's own avatar in every expression its style offers: one pack job per expression,
        children of the original with its seed, one request (the worker draws them in one call). No
        reply row: the pack's own handler shows the sheet once every member is drawn."""
        with self.session_factory() as session:
            source = own_source(session, avatar_id, who.owner_id)
            pack = plan_pack(source.avatar_spec)
            base_name = clean_name_base(name or f"avatar{source.id}")
            names = emoji_names(base_name or (name or ""), pack.expressions)  # InvalidLook for a bad name
            specs = tuple(pack.members.values())
            plan = _JobPlan(
                spec=specs[0],
                more_specs=specs[1:],
                seeds=[int(source.seed)],
                kind="pack",
                parent_id=source.id,
                params=look_params(pack.source),
                private_source=source.visibility == "private",
                summary=lambda locale: pack_summary_text(locale, source.id, pack.expressions),
            )
            queued = self._submit(session, who, plan, now=now, reply=None, request_id=request_id,
                                  refuse_review=True)
            return PackQueued(queued=queued, source_id=source.id, expressions=pack.expressions, names=names,
                              base_name=base_name)

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
        refuse_review: bool = False,
    ) -> Queued:
        now = now or datetime.now(UTC)
        backend = self.settings.backend
        # Held from here to the commit: a forget-me running meanwhile waits, or has already won and
        # this is refused (UserForgotten) before an uploaded picture is kept.
        user = hold_user(session, who.owner_id)
        if user.banned:
            raise Refusal("error.banned")
        rules = guild_rules(session, who.guild_id)
        if refuse_review and rules.holds_for_review(flagged=False):
            # Shown by its own handler, a pack cannot wait for moderators result by result.
            raise Refusal("pack.server_reviews")
        specs = [check_place_and_request(rules, who, spec, backend) for spec in plan.specs]
        # A pack is one request drawn in one call: it counts once here (its avatars count in later checks).
        check_quotas(session, rules, who, len(plan.seeds) * (1 if plan.kind == "pack" else len(specs)), now)
        params = dict(plan.params)
        if extra_params is not None:
            params.update(extra_params())
        private = who.private or plan.private_source or rules.default_visibility == "private"
        jobs = []
        for spec in specs:
            jobs += create_jobs(
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
                request_id=request_id or (jobs[0].request_id if jobs else None),
                photo_reading=plan.photo_reading,
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
        try:
            dispatch_jobs(self.producer, session, job_ids, self.settings.queue_name)
            sent = True
        except BrokerUnavailable as exc:
            log.warning("jobs %s are saved but not sent: %s; the reconciler sends them when it is back", job_ids, exc)
            sent = False
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
            sent=sent,
        )


def studio_of(services: BotServices) -> Studio:
    """The studio of this bot; "not available" when it was built without a database or queue."""
    if services.session_factory is None or services.producer is None:
        raise not_configured()
    return Studio(services.settings, services.session_factory, services.producer, services.image_store)
