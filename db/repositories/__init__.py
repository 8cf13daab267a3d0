"""Repositories: every query the bot, the worker and the CLI make, as typed functions taking a Session.

No SQL lives outside `db/`. Functions flush but never commit: the caller owns the
transaction (commit, then enqueue or notify).
"""

from db.repositories._common import Page
from db.repositories.gallery import (
    add_favourite,
    delete_avatar,
    forget_user,
    get_visible_avatar,
    is_favourite,
    list_favourites,
    list_user_avatars,
    remove_favourite,
)
from db.repositories.guilds import ensure_guild, get_guild_settings, update_guild_settings
from db.repositories.jobs import (
    MAX_ERROR_CHARS,
    claim_jobs,
    count_active_jobs,
    count_user_jobs_since,
    create_jobs,
    get_job,
    job_statuses,
    jobs_finished_since,
    mark_delivered,
    mark_done,
    mark_enqueued,
    mark_failed,
    queue_position,
    release_job,
    request_jobs,
    stale_queued_jobs,
    stale_running_jobs,
)
from db.repositories.moderation import (
    list_moderation_actions,
    list_review_queue,
    record_moderation_action,
    set_review_state,
)
from db.repositories.users import ensure_user, get_user, is_banned, set_banned
from db.repositories.workers import forget_worker, heartbeat, live_workers

__all__ = [
    "MAX_ERROR_CHARS",
    "Page",
    "add_favourite",
    "claim_jobs",
    "count_active_jobs",
    "count_user_jobs_since",
    "create_jobs",
    "delete_avatar",
    "ensure_guild",
    "ensure_user",
    "forget_user",
    "forget_worker",
    "get_guild_settings",
    "get_job",
    "get_user",
    "get_visible_avatar",
    "heartbeat",
    "is_banned",
    "is_favourite",
    "job_statuses",
    "jobs_finished_since",
    "list_favourites",
    "list_moderation_actions",
    "list_review_queue",
    "list_user_avatars",
    "live_workers",
    "mark_delivered",
    "mark_done",
    "mark_enqueued",
    "mark_failed",
    "queue_position",
    "record_moderation_action",
    "release_job",
    "remove_favourite",
    "request_jobs",
    "set_banned",
    "set_review_state",
    "stale_queued_jobs",
    "stale_running_jobs",
    "update_guild_settings",
]
