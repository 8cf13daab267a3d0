"""What a server lets a request do, checked before any job exists: the channel, the style and
backend, the user's concurrent and daily quotas, and which avatars a request may build on.

Each refusal is a Refusal the user reads in their language.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Optional

from sqlalchemy.orm import Session

from bot.common.guild_settings import GuildSettings
from bot.replies.errors import Refusal
from core.db.models import Job, ReviewState
from core.db.repositories import count_active_jobs, count_user_jobs_since, get_visible_avatar
from core.errors import NotFound
from core.spec import AvatarSpec


@dataclass(frozen=True)
class Requester:
    """Who asks, and where."""

    owner_id: int
    guild_id: Optional[int]
    channel_id: Optional[int]
    private: bool = False  # asked for a private result


def midnight_utc(now: datetime) -> datetime:
    """Start of `now`'s day in UTC (daily quotas reset then)."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def source_avatar(session: Session, avatar_id: int, viewer_id: int) -> Job:
    """An avatar the viewer may build on: visible to them, with a picture, not held or rejected."""
    avatar = get_visible_avatar(session, avatar_id, viewer_id)
    if avatar.review_state == ReviewState.PENDING:
        raise Refusal("error.under_review", id=avatar_id)
    if avatar.review_state == ReviewState.REJECTED:
        raise NotFound(f"avatar #{avatar_id} does not exist or is not yours")
    if avatar.image_key is None:
        raise Refusal("error.no_picture", id=avatar_id)
    return avatar


def own_source(session: Session, avatar_id: int, owner_id: int) -> Job:
    """An avatar of the requester's own to edit or make a pack of (someone else's character is theirs)."""
    avatar = source_avatar(session, avatar_id, owner_id)
    if avatar.owner_id != owner_id:
        raise Refusal("look.not_yours", id=avatar_id)
    return avatar


def check_place_and_request(rules: GuildSettings, who: Requester, spec: AvatarSpec, backend: str) -> AvatarSpec:
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


def check_quotas(session: Session, rules: GuildSettings, who: Requester, count: int, now: datetime) -> None:
    """Refuse `count` more jobs past the user's concurrent limit or their daily limit (reset at midnight UTC)."""
    active = count_active_jobs(session, who.owner_id)
    if active + count > rules.concurrent_limit:
        raise Refusal("error.too_many_running", active=active, limit=rules.concurrent_limit)
    midnight = midnight_utc(now)
    used = count_user_jobs_since(session, who.owner_id, midnight, guild_id=who.guild_id)
    if used + count > rules.daily_limit:
        reset = int((midnight + timedelta(days=1)).timestamp())
        raise Refusal("error.daily_limit", used=used, limit=rules.daily_limit, reset=f"<t:{reset}:R>")
