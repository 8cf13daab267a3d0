"""The database side of delivery: what to do with a finished job, claimed so it happens once.

Synchronous; bot.delivery.courier runs it in a thread. Each decision claims its step before anything
is sent (see core.db.repositories.delivery): at most once, never twice.

For a finished job of a request the bot answers:
- failed                  -> tell the owner why ("fail");
- approved by a moderator -> show it ("deliver", approved);
- flagged, or the server reviews every result, and not yet held
                          -> hold it: moderators' channel + "waiting for review" ("hold");
- held and still pending, or rejected -> nothing now (a moderator decides);
- otherwise               -> show it ("deliver").

With several bot processes, a job whose guild is on another process's shards is left alone until
that process has had `delivery_takeover_s` to deliver it (bot.delivery.routing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Optional

from sqlalchemy.orm import Session

from bot.common.guild_settings import guild_rules
from bot.delivery.outbox import ReplySnapshot
from bot.delivery.progress import eta_seconds, status_text
from bot.delivery.routing import DeliveryRoute
from bot.ui.cards import AvatarCard, card_of
from core.db.models import InteractionReply, Job, JobStatus, ReviewState
from core.db.repositories import (
    claim_delivery,
    claim_hold,
    claim_reply_answer,
    clear_expired_tokens,
    find_job,
    get_reply,
    live_workers,
    open_replies,
    queue_position,
    recent_render_seconds,
    request_jobs,
    set_review_post,
    undelivered_job_ids,
)
from core.images import ImageStore
from core.settings import Settings

Action = Literal["deliver", "fail", "hold", "rejected"]


@dataclass(frozen=True)
class Handling:
    """What this caller has claimed to do with one job, and everything needed to send it."""

    action: Action
    card: AvatarCard
    reply: Optional[ReplySnapshot]
    edit_original: bool  # this caller replaces the reply itself (else a follow-up or a post)
    approved: bool = False
    review_channel: Optional[int] = None
    hold_reason: str = ""  # "flagged" or "all", for the moderators' copy
    moderator_locale: str = "en"  # the language of the moderators' channel

    @property
    def locale(self) -> str:
        return self.reply.locale if self.reply is not None else "en"


@dataclass(frozen=True)
class ProgressNote:
    reply: ReplySnapshot
    text: str


def snapshot(reply: InteractionReply) -> ReplySnapshot:
    return ReplySnapshot(
        request_id=reply.request_id,
        application_id=reply.application_id,
        token=reply.token,
        expires_at=reply.expires_at,
        message_id=reply.message_id,
        ephemeral=reply.ephemeral,
        user_id=reply.user_id,
        guild_id=reply.guild_id,
        channel_id=reply.channel_id,
        locale=reply.locale,
        summary=reply.summary,
    )


class DeliveryStore:
    def __init__(
        self,
        settings: Settings,
        session_factory: Callable[[], Session],
        image_store: ImageStore,
        route: Optional[DeliveryRoute] = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.image_store = image_store
        self.route = route if route is not None else DeliveryRoute.from_settings(settings)

    def request_of(self, job_id: int) -> Optional[str]:
        with self.session_factory() as session:
            job = session.get(Job, job_id)
            return job.request_id if job is not None else None

    def decide(self, job_id: int, *, now: datetime) -> Optional[Handling]:
        """Claim the next step for a finished job; None when there is nothing (more) to do here."""
        with self.session_factory() as session:
            job = session.get(Job, job_id)
            if job is None or not job.finished or job.delivered_at is not None:
                return None
            if not self.route.delivers(job.guild_id, job.finished_at, now=now):
                return None  # another bot process's guild, and not late yet
            row = get_reply(session, job.request_id)
            if row is None:
                return None  # not a request this bot answers (the CLI, a benchmark)
            reply = snapshot(row)
            rules = guild_rules(session, job.guild_id)
            action: Action
            hold_reason = ""
            if job.review_state == ReviewState.REJECTED:
                return None
            if job.status == JobStatus.FAILED:
                action, won = "fail", claim_delivery(session, job.id)
            elif job.review_state == ReviewState.APPROVED:
                action, won = "deliver", claim_delivery(session, job.id)
            elif job.held_at is not None:
                return None  # waiting for a moderator
            elif job.review_state == ReviewState.PENDING or rules.holds_for_review(
                flagged=job.status == JobStatus.FLAGGED
            ):
                hold_reason = "flagged" if job.status == JobStatus.FLAGGED else "all"
                action, won = "hold", claim_hold(session, job.id)
            else:
                action, won = "deliver", claim_delivery(session, job.id)
            if not won:
                session.rollback()
                return None
            private = job.visibility == "private"
            edit_original = (
                reply.usable(now) and reply.may_show(private) and claim_reply_answer(session, job.request_id)
            )
            session.commit()
            session.refresh(job)
            card = card_of(job, self.image_store if action in ("deliver", "hold") else None, animation_files=True)
            return Handling(
                action=action,
                card=card,
                reply=reply,
                edit_original=edit_original,
                approved=job.review_state == ReviewState.APPROVED,
                review_channel=rules.review_channel,
                hold_reason=hold_reason,
                moderator_locale=rules.moderator_locale,
            )

    def decide_rejection(self, avatar_id: int, *, now: datetime) -> Optional[Handling]:
        """Claim telling the owner that a held result was rejected (None: they saw it already, or
        it is not a request this bot answers)."""
        with self.session_factory() as session:
            job = find_job(session, avatar_id)
            if job is None or job.review_state != ReviewState.REJECTED:
                return None
            row = get_reply(session, job.request_id)
            if row is None or not claim_delivery(session, job.id):
                session.rollback()
                return None
            session.commit()
            return Handling(action="rejected", card=card_of(job), reply=snapshot(row), edit_original=False)

    def progress(self, *, now: datetime) -> list[ProgressNote]:
        """The progress line of every reply still waiting, with a valid token."""
        backend = self.settings.backend
        notes = []
        with self.session_factory() as session:
            replies = open_replies(session, now=now, shards=self.route.shards)
            if not replies:
                return []
            workers = len(live_workers(session, dead_after_s=self.settings.worker_dead_after_s, backend=backend))
            mean = recent_render_seconds(session, backend)
            for row in replies:
                jobs = request_jobs(session, row.request_id)
                if not jobs or all(job.finished for job in jobs):
                    continue  # delivery takes over
                queued = [job for job in jobs if job.status == JobStatus.QUEUED]
                ahead = queue_position(session, queued[0].id) if queued else None
                done = sum(job.finished for job in jobs)
                eta = eta_seconds(ahead if ahead is not None else 0, workers, mean)
                status = status_text(row.locale, ahead=ahead, workers=workers, eta_s=eta, done=done, count=len(jobs))
                notes.append(ProgressNote(snapshot(row), f"{row.summary}\n{status}" if row.summary else status))
        return notes

    def undelivered(self, *, now: datetime) -> list[int]:
        """Finished jobs this process should deliver now: its guilds', and the others' once late."""
        with self.session_factory() as session:
            return undelivered_job_ids(
                session, shards=self.route.shards, takeover_before=self.route.takeover_before(now)
            )

    def clear_tokens(self, *, now: datetime) -> int:
        with self.session_factory() as session:
            cleared = clear_expired_tokens(session, now=now)
            session.commit()
            return cleared

    def remember_review_post(self, avatar_id: int, *, channel_id: int, message_id: int) -> None:
        with self.session_factory() as session:
            set_review_post(session, avatar_id, channel_id=channel_id, message_id=message_id)
            session.commit()
