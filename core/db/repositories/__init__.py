"""Repositories: every query the bot, the worker and the CLI make, as typed functions taking a Session.

No SQL lives outside `db/`. Functions flush but never commit: the caller owns the
transaction (commit, then enqueue or notify).
"""

from core.db.repositories._common import Page
from core.db.repositories.delivery import (
    claim_delivery,
    claim_hold,
    claim_reply_answer,
    clear_expired_tokens,
    forget_user_replies,
    get_reply,
    open_replies,
    save_reply,
    set_review_post,
    undelivered_job_ids,
    update_reply,
)
from core.db.repositories.gallery import (
    add_favourite,
    delete_avatar,
    forget_user,
    get_visible_avatar,
    image_keys_in_use,
    list_user_avatars,
)
from core.db.repositories.guilds import get_guild_settings, update_guild_settings
from core.db.repositories.insights import (
    count_queued,
    count_user_avatars,
    latest_user_avatar,
    moderation_log_page,
    recent_render_seconds,
    review_queue_page,
    style_examples,
    user_active_jobs,
)
from core.db.repositories.jobs import (
    MAX_ERROR_CHARS,
    MAX_JOB_ID,
    claim_jobs,
    count_active_jobs,
    count_user_jobs_since,
    create_jobs,
    find_job,
    get_job,
    is_job_id,
    job_statuses,
    jobs_finished_since,
    mark_done,
    mark_enqueued,
    mark_failed,
    queue_position,
    release_job,
    request_jobs,
)
from core.db.repositories.leases import stale_queued_jobs, stale_running_jobs
from core.db.repositories.moderation import (
    record_moderation_action,
    set_review_state,
)
from core.db.repositories.users import ensure_user, hold_user, lock_user, set_banned
from core.db.repositories.workers import forget_worker, heartbeat, live_workers

__all__ = [
    "MAX_ERROR_CHARS",
    "add_favourite",
    "claim_delivery",
    "claim_hold",
    "claim_jobs",
    "claim_reply_answer",
    "clear_expired_tokens",
    "count_active_jobs",
    "count_queued",
    "count_user_avatars",
    "count_user_jobs_since",
    "create_jobs",
    "delete_avatar",
    "ensure_user",
    "forget_user",
    "forget_user_replies",
    "forget_worker",
    "get_guild_settings",
    "get_job",
    "find_job",
    "is_job_id",
    "MAX_JOB_ID",
    "get_reply",
    "get_visible_avatar",
    "heartbeat",
    "hold_user",
    "image_keys_in_use",
    "job_statuses",
    "jobs_finished_since",
    "latest_user_avatar",
    "list_user_avatars",
    "live_workers",
    "lock_user",
    "mark_done",
    "mark_enqueued",
    "mark_failed",
    "moderation_log_page",
    "open_replies",
    "Page",
    "queue_position",
    "recent_render_seconds",
    "record_moderation_action",
    "release_job",
    "request_jobs",
    "review_queue_page",
    "save_reply",
    "set_banned",
    "set_review_post",
    "set_review_state",
    "stale_queued_jobs",
    "stale_running_jobs",
    "style_examples",
    "undelivered_job_ids",
    "update_guild_settings",
    "update_reply",
    "user_active_jobs",
]
