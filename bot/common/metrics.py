"""The bot's Prometheus metrics, registered on the registry its entry point builds and passes in (no
global registry). Labels are bounded: command names the bot registers (else "unknown"), outcomes,
delivery paths, refusal reasons (i18n keys and error kinds the code defines), backends. No user,
guild or channel ids."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Optional

import discord
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from core.db.models import utcnow
from core.db.repositories import count_queued

ACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 5)
DELIVERY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)
# How long an interaction is watched for its acknowledgement (Discord's limit is 3 s).
ACK_WATCH_S = 5.0
ACK_POLL_S = 0.005


class QueueDepth(Collector):
    """Queued jobs per backend, counted in the database at each scrape."""

    def __init__(self, session_factory: Callable[[], Session], backends: Sequence[str]) -> None:
        self._session_factory = session_factory
        self._backends = tuple(backends)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily("avatarbot_queue_depth", "Queued jobs per backend (from the database)",
                                   labels=["backend"])
        with self._session_factory() as session:
            for backend in self._backends:
                family.add_metric([backend], count_queued(session, backend))
        yield family


class BotMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.interactions = Counter(
            "avatarbot_bot_interactions_total",
            "Interactions handled, by command (or button) and outcome (ok, refused, error)",
            ["command", "outcome"],
            registry=registry,
        )
        self.ack_seconds = Histogram(
            "avatarbot_bot_ack_seconds",
            "Seconds from an interaction's creation to its first response (Discord allows 3)",
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.delivery_seconds = Histogram(
            "avatarbot_bot_delivery_seconds",
            "Seconds from a job finishing to its result reaching the owner",
            buckets=DELIVERY_BUCKETS,
            registry=registry,
        )
        self.deliveries = Counter(
            "avatarbot_bot_deliveries_total",
            "Results sent to their owners, by path (edit, follow-up, channel, dm, nowhere)",
            ["path"],
            registry=registry,
        )
        self.refusals = Counter(
            "avatarbot_bot_refusals_total", "Requests refused with a readable reason, by reason", ["reason"],
            registry=registry,
        )

    def watch_queue_depth(self, session_factory: Callable[[], Session], backends: Sequence[str]) -> None:
        self.registry.register(QueueDepth(session_factory, backends))

    def handled(self, command: str, outcome: str, *, reason: Optional[str] = None) -> None:
        self.interactions.labels(command, outcome).inc()
        if reason is not None:
            self.refusals.labels(reason).inc()

    def delivered(self, path: str, finished_at: Optional[datetime]) -> None:
        self.deliveries.labels(path).inc()
        if finished_at is not None and path != "nowhere":
            self.delivery_seconds.observe(max((utcnow() - finished_at).total_seconds(), 0.0))

    async def watch_ack(self, interaction: discord.Interaction) -> None:
        """Observe the time to the first response of `interaction` (polls its response state)."""
        deadline = time.monotonic() + ACK_WATCH_S
        while not interaction.response.is_done():
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(ACK_POLL_S)
        self.ack_seconds.observe(max((discord.utils.utcnow() - interaction.created_at).total_seconds(), 0.0))
