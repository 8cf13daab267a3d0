"""Which finished jobs this bot process delivers, when several processes share one database.

Every process hears about every finished job (the notifier is shared). Each delivers at once the
jobs of the guilds on its own shards (their interactions came to it; direct messages come to shard
0's process), and leaves the others to their process for `takeover_s`. After that, any process's
sweep delivers them, so a process that is down or stuck delays its users' results by about
`takeover_s` plus one sweep, never forever. Whoever tries, the delivery claims in the database
(core.db.repositories.delivery) let exactly one of them send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from core.settings import Settings
from core.shards import ShardPlan


@dataclass(frozen=True)
class DeliveryRoute:
    shards: ShardPlan
    takeover_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryRoute:
        return cls(settings.shards, settings.delivery_takeover_s)

    def takeover_before(self, now: datetime) -> Optional[datetime]:
        """Other processes' jobs finished at or before this are ours too (None: we own every guild)."""
        return None if self.shards.runs_all else now - timedelta(seconds=self.takeover_s)

    def delivers(self, guild_id: Optional[int], finished_at: Optional[datetime], *, now: datetime) -> bool:
        """True when this process should try to deliver the job now."""
        if self.shards.owns(guild_id):
            return True
        cutoff = self.takeover_before(now)
        return cutoff is not None and finished_at is not None and finished_at <= cutoff
