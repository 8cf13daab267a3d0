"""Interactions from many servers, for the sharding tests: the stand-in's payloads come from one
guild (tests.bot.fake_discord.GUILD_ID); these move them to another, and pick guild ids by shard."""

from __future__ import annotations

from typing import Any

from core.shards import shard_of


def guild_on_shard(shard: int, shard_count: int, n: int = 0) -> int:
    """The `n`-th made-up guild id (a real-looking snowflake) whose events Discord sends on `shard`."""
    base = 1_200_000_000_000_000_000 >> 22
    found = [g << 22 | 7 for g in range(base, base + shard_count * (n + 1)) if shard_of(g << 22, shard_count) == shard]
    return found[n]


def in_guild(payload: dict[str, Any], guild_id: int) -> dict[str, Any]:
    """The same interaction, sent from `guild_id` (and a channel of its own)."""
    channel_id = guild_id + 1
    payload["guild_id"] = str(guild_id)
    payload["channel_id"] = str(channel_id)
    if "guild" in payload:
        payload["guild"]["id"] = str(guild_id)
    if "channel" in payload:
        payload["channel"] |= {"id": str(channel_id), "guild_id": str(guild_id)}
    if "authorizing_integration_owners" in payload:
        payload["authorizing_integration_owners"] = {"0": str(guild_id)}
    return payload
