"""Which Discord shards a bot process runs, and which process answers for a guild.

Discord sends a guild's events (its interactions among them) on shard `(guild_id >> 22) % shard_count`;
direct messages come on shard 0. Several bot processes split the shards between them with
AVATARBOT_SHARD_COUNT and AVATARBOT_SHARD_IDS; one process with neither runs them all (the count
Discord recommends) and answers for every guild.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# Far above any real deployment (Discord's largest bots run tens of thousands): a typo guard.
MAX_SHARD_COUNT = 100_000


class ShardSettingError(ValueError):
    """AVATARBOT_SHARD_COUNT or AVATARBOT_SHARD_IDS cannot be used; the message says why."""


def shard_of(guild_id: Optional[int], shard_count: int) -> int:
    """The shard Discord sends this guild's events on (direct messages, no guild: shard 0)."""
    if guild_id is None:
        return 0
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class ShardPlan:
    """This process's shards: `count` in all (None: Discord's recommendation), of which it runs
    `ids` (None: all of them)."""

    count: Optional[int] = None
    ids: Optional[tuple[int, ...]] = None

    @property
    def runs_all(self) -> bool:
        return self.ids is None

    def owns(self, guild_id: Optional[int]) -> bool:
        """True when this guild's events (or direct messages, for guild None) come to this process."""
        if self.ids is None or self.count is None:
            return True
        return shard_of(guild_id, self.count) in self.ids

    def describe(self) -> str:
        if self.ids is None:
            return f"all {self.count} shards" if self.count is not None else "all shards (count from Discord)"
        return f"shards {format_ids(self.ids)} of {self.count}"


def format_ids(ids: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in ids)


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """'0,1', '0-3' or '0-3,8' -> sorted unique shard ids; a readable error for anything else."""
    ids: set[int] = set()
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise ShardSettingError(
            "AVATARBOT_SHARD_IDS is empty: give shard ids like '0,1' or '0-3', or unset it to run all"
        )
    for part in parts:
        if not part:
            raise ShardSettingError(f"AVATARBOT_SHARD_IDS {text!r} has an empty item: write ids like '0,1' or '0-3'")
        low, dash, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise ShardSettingError(
                f"AVATARBOT_SHARD_IDS {text!r}: {part!r} is not a shard id or a range; write ids like '0,1' or '0-3'"
            ) from None
        if first < 0 or last < 0:
            raise ShardSettingError(f"AVATARBOT_SHARD_IDS {text!r}: shard ids start at 0")
        if last < first:
            raise ShardSettingError(
                f"AVATARBOT_SHARD_IDS {text!r}: the range {part!r} runs backwards; write '{last}-{first}'"
            )
        if last - first >= MAX_SHARD_COUNT:
            raise ShardSettingError(f"AVATARBOT_SHARD_IDS {text!r}: the range {part!r} is larger than any shard count")
        ids.update(range(first, last + 1))
    return tuple(sorted(ids))


def shard_plan(count: Optional[int], ids_text: Optional[str]) -> ShardPlan:
    """The plan from the two settings, checked together (ids need a count and must lie below it)."""
    if count is not None and not 1 <= count <= MAX_SHARD_COUNT:
        raise ShardSettingError(f"AVATARBOT_SHARD_COUNT must be between 1 and {MAX_SHARD_COUNT}, not {count}")
    if ids_text is None or not ids_text.strip():  # unset or empty: run them all
        return ShardPlan(count=count)
    ids = parse_shard_ids(ids_text)
    if count is None:
        raise ShardSettingError(
            f"AVATARBOT_SHARD_IDS={ids_text} needs AVATARBOT_SHARD_COUNT: every bot process must agree on the total"
        )
    outside = [i for i in ids if i >= count]
    if outside:
        raise ShardSettingError(
            f"AVATARBOT_SHARD_IDS={ids_text}: shard id(s) {format_ids(tuple(outside))} outside "
            f"AVATARBOT_SHARD_COUNT={count} (ids run from 0 to {count - 1})"
        )
    return ShardPlan(count=count, ids=ids)
