"""Delivery: finished avatars reach their owners; held ones reach the moderators.

A background task started in `setup_hook` reads `notifier.events()` (Redis pub/sub, or database
polling) and hands each finished job to `handle_job`. Notifications are only a fast path: on
startup, and every `sweep_every_s` after, a sweep hands over every finished job of the bot's
requests that nobody has handled yet (what finished while the bot was down, or a notification
lost on a Redis reconnect).

With several bot processes (AVATARBOT_SHARD_IDS), each delivers its own guilds' jobs at once and
the others' only once they are late (bot.delivery.routing).

Nothing is delivered twice: `DeliveryStore.decide` claims the step in the database before
anything is sent (at most once; a crash right after a claim loses that one message, and the
avatar stays in the owner's history), and the claim of one process excludes every other.

While a request waits, its reply is edited with its place in the queue and the estimated wait,
at most once every `progress_every_s` (2 s), and only when the text changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Optional

import discord

from bot import i18n
from bot.common.metrics import BotMetrics
from bot.common.reply_guard import ReplyGuard
from bot.delivery.outbox import Outbox, Outgoing
from bot.delivery.store import DeliveryStore, Handling
from bot.ui.buttons import result_view, review_view
from bot.ui.cards import AvatarCard, avatar_embed
from core.db.models import FINISHED_STATUSES
from core.notify import JobNotifier

log = logging.getLogger(__name__)

def utcnow() -> datetime:
    return datetime.now(UTC)


class Courier:
    def __init__(
        self,
        client: discord.Client,
        store: DeliveryStore,
        guard: ReplyGuard,
        *,
        notifier: Optional[JobNotifier] = None,
        progress_every_s: float = 2.0,
        sweep_every_s: float = 30.0,
        max_parallel: int = 4,
        clock: Callable[[], datetime] = utcnow,
        metrics: Optional[BotMetrics] = None,
    ) -> None:
        self.metrics = metrics
        self.client = client
        self.store = store
        self.guard = guard
        self.outbox = Outbox(client)
        self.notifier = notifier
        self.progress_every_s = progress_every_s
        self.sweep_every_s = sweep_every_s
        self.clock = clock
        self._parallel = asyncio.Semaphore(max_parallel)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._progress_text: dict[str, str] = {}
        self._progress_at: dict[str, float] = {}

    # -- life ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the background work: events (when there is a notifier), the sweep and progress."""
        if self._tasks:
            return
        if self.notifier is not None:
            events = self._consume_events(self.notifier)
            self._tasks.append(asyncio.create_task(events, name="avatarbot-delivery-events"))
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="avatarbot-delivery-housekeeping"))

    async def close(self) -> None:
        """Stop the background work and wait for deliveries already under way."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def idle(self) -> None:
        """Wait until no delivery is under way (tests, shutdown)."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight.values()), return_exceptions=True)

    async def _consume_events(self, notifier: JobNotifier) -> None:
        while True:
            try:
                async for event in notifier.events():
                    if event.status in FINISHED_STATUSES:
                        self.schedule(event.job_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # the edge of the event task: log, wait, listen again (the sweep covers the gap)
                log.exception("the job event stream failed; listening again in 5 s")
                await asyncio.sleep(5)

    async def _housekeeping(self) -> None:
        last_sweep = float("-inf")
        while True:
            try:
                if time.monotonic() - last_sweep >= self.sweep_every_s:
                    last_sweep = time.monotonic()
                    await self.sweep()
                await self.progress_tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the edge of the housekeeping task: log and go on next round
                log.exception("delivery housekeeping failed; trying again")
            await asyncio.sleep(self.progress_every_s)

    async def sweep(self) -> int:
        """Hand over every finished job nobody has handled yet; returns how many were scheduled."""
        job_ids = await asyncio.to_thread(self.store.undelivered, now=self.clock())
        for job_id in job_ids:
            self.schedule(job_id)
        await asyncio.to_thread(self.store.clear_tokens, now=self.clock())
        return len(job_ids)

    def schedule(self, job_id: int) -> None:
        """Handle a job in the background (once at a time per job)."""
        if job_id in self._in_flight:
            return
        task = asyncio.create_task(self._guarded(job_id), name=f"avatarbot-deliver-{job_id}")
        self._in_flight[job_id] = task
        task.add_done_callback(lambda _: self._in_flight.pop(job_id, None))

    async def _guarded(self, job_id: int) -> None:
        try:
            async with self._parallel:
                await self.handle_job(job_id)
        except Exception:  # the edge of one delivery: log it with the job id; the others go on
            log.exception("could not deliver job %s", job_id)

    # -- one job ----------------------------------------------------------------------

    async def handle_job(self, job_id: int) -> Optional[str]:
        """Do what a finished job needs (show, hold, report failure); returns the action taken."""
        request_id = await asyncio.to_thread(self.store.request_of, job_id)
        if request_id is None:
            return None
        async with self.guard.hold(request_id):
            handling = await asyncio.to_thread(self.store.decide, job_id, now=self.clock())
            if handling is None:
                return None
            if handling.edit_original:
                self.guard.mark_answered(request_id)
            if handling.action == "hold":
                await self._hold(handling)
            else:
                await self._send_to_owner(handling)
        return handling.action

    async def _send_to_owner(self, handling: Handling) -> str:
        card, locale = handling.card, handling.locale

        def message(in_reply: bool) -> Outgoing:
            return owner_message(handling, locale, mention=not in_reply)

        where = await self.outbox.to_owner(
            handling.reply,
            owner_id=card.owner_id,
            channel_id=card.channel_id,
            private=card.private,
            message=message,
            edit_original=handling.edit_original,
            now=self.clock(),
        )
        if self.metrics is not None:
            self.metrics.delivered(where, card.finished_at)
        log.info("avatar %s delivered by %s", card.id, where, extra={"job_id": card.id, "path": where})
        if where == "nowhere":
            log.warning("avatar %s (%s) reached nobody; it stays in its owner's history", card.id, handling.action)
        return where

    async def _hold(self, handling: Handling) -> None:
        """Put a held result in front of the moderators, and tell its owner it is waiting."""
        if handling.review_channel is not None:
            locale = handling.moderator_locale
            why = i18n.text(locale, f"review.why.{handling.hold_reason}")
            await self.post_for_review(handling.card, handling.review_channel, why=why, locale=locale)
        await self._send_to_owner(handling)

    async def post_for_review(self, card: AvatarCard, channel_id: int, *, why: str, locale: str) -> bool:
        """The moderators' copy (picture, Approve/Reject) in the review channel; False if it could not be posted."""
        content = i18n.text(locale, "review.post", id=card.id, owner=f"<@{card.owner_id}>", why=why)
        embed = avatar_embed(card, locale)
        outgoing = Outgoing(content=content, embeds=[embed], card=card, view=review_view(card.id, locale))
        try:
            posted = await self.outbox.post(channel_id, outgoing)
        except discord.HTTPException as exc:
            log.warning("could not post avatar %s for review in %s: %s %s", card.id, channel_id, exc.status, exc.text)
            return False
        await asyncio.to_thread(self.store.remember_review_post, card.id, channel_id=channel_id, message_id=posted.id)
        return True

    # -- moderators' decisions ------------------------------------------------------------

    async def after_decision(
        self, card: AvatarCard, *, approved: bool, moderator_id: int, locale: str
    ) -> Optional[str]:
        """Mark the decision on the moderators' copy, then show the result to its owner (approved)
        or tell them it was not approved (rejected). Returns what reached the owner, if anything."""
        if card.review_channel_id is not None and card.review_message_id is not None:
            key = "review.approved_by" if approved else "review.rejected_by"
            text = i18n.text(locale, key, id=card.id, moderator=f"<@{moderator_id}>")
            try:
                await self.outbox.edit_post(card.review_channel_id, card.review_message_id, content=text)
            except discord.HTTPException as exc:
                log.warning("could not mark the decision on avatar %s's review post: %s", card.id, exc.status)
        if approved:
            return await self.handle_job(card.id)
        async with self.guard.hold(card.request_id):
            handling = await asyncio.to_thread(self.store.decide_rejection, card.id, now=self.clock())
            if handling is None:
                return None
            await self._send_to_owner(handling)
            return handling.action

    # -- progress ------------------------------------------------------------------------------

    async def progress_tick(self) -> int:
        """Edit each waiting reply whose text changed, at most once every `progress_every_s`; returns edits."""
        notes = await asyncio.to_thread(self.store.progress, now=self.clock())
        edits = 0
        now = time.monotonic()
        live = set()
        for note in notes:
            request_id = note.reply.request_id
            live.add(request_id)
            if not self._progress_due(request_id, note.text, now):
                continue
            async with self.guard.hold(request_id):
                # Checked again under the lock: the command's own first answer may just have been sent.
                if self.guard.answered(request_id) or not self._progress_due(request_id, note.text, time.monotonic()):
                    continue
                # Remembered before sending: a failed edit is retried only when the text changes.
                self._progress_text[request_id] = note.text
                self._progress_at[request_id] = time.monotonic()
                try:
                    await self.outbox.edit_reply_text(note.reply, note.text)
                except (discord.NotFound, discord.Forbidden):
                    # The reply is gone (deleted, or the token refused): stop editing it; the
                    # result will find another way (bot.delivery.outbox).
                    self.guard.mark_answered(request_id)
                    continue
                except discord.HTTPException as exc:
                    log.warning("progress edit of request %s failed: %s", request_id, exc.status)
                    continue
            edits += 1
        # Forget requests that no longer wait.
        self._progress_text = {k: v for k, v in self._progress_text.items() if k in live}
        self._progress_at = {k: v for k, v in self._progress_at.items() if k in live}
        return edits

    def _progress_due(self, request_id: str, text: str, now: float) -> bool:
        if self._progress_text.get(request_id) == text:
            return False
        return now - self._progress_at.get(request_id, float("-inf")) >= self.progress_every_s

    def note_progress(self, request_id: str, text: str) -> None:
        """Record a reply text the command handler itself just showed (the next edit waits 2 s)."""
        self._progress_text[request_id] = text
        self._progress_at[request_id] = time.monotonic()


def owner_message(handling: Handling, locale: str, *, mention: bool) -> Outgoing:
    """What the owner sees for a handled job; a post outside the reply mentions them."""
    card = handling.card
    who = f"<@{card.owner_id}> " if mention else ""
    if handling.action == "fail":
        text = i18n.text(locale, "result.failed", id=card.id, error=card.error or "unknown error")
        return Outgoing(content=who + text, mention=card.owner_id if mention else None)
    if handling.action == "hold":
        text = i18n.text(locale, "result.held", id=card.id)
        return Outgoing(content=who + text, mention=card.owner_id if mention else None)
    if handling.action == "rejected":
        text = i18n.text(locale, "result.rejected", id=card.id)
        return Outgoing(content=who + text, mention=card.owner_id if mention else None)
    key = "result.approved" if handling.approved else "result.ready"
    return Outgoing(
        content=who + i18n.text(locale, key, id=card.id),
        embeds=[avatar_embed(card, locale)],
        card=card,
        view=result_view(card.id, locale, from_photo=card.photo_reading is not None),
        mention=card.owner_id if mention else None,
    )
