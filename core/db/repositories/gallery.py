"""What users see of their avatars: history, favourites, deletion, forgetting a user."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.db.models import FINISHED_STATUSES, Favourite, Job, JobStatus, Visibility, utcnow
from core.db.repositories._common import Page, insert_ignoring_conflict, paginate
from core.db.repositories.jobs import find_job, get_job
from core.db.repositories.leases import lock_jobs
from core.db.repositories.users import hold_user, lock_user
from core.errors import NotFound

# Finished avatars a person can look at (failed jobs have no image).
_VISIBLE_STATUSES = (JobStatus.DONE, JobStatus.FLAGGED)


def list_user_avatars(
    session: Session, user_id: int, *, page: int = 0, page_size: int = 10, include_unfinished: bool = False
) -> Page[Job]:
    """A user's avatars, newest first. By default only those with an image (done or flagged)."""
    query = select(Job).where(Job.owner_id == user_id)
    if not include_unfinished:
        query = query.where(Job.status.in_(_VISIBLE_STATUSES))
    query = query.order_by(Job.queued_at.desc(), Job.id.desc())
    return paginate(session, query, page=page, page_size=page_size)


def get_visible_avatar(session: Session, avatar_id: int, viewer_id: int) -> Job:
    """An avatar the viewer may see: their own, or someone else's public one."""
    avatar = find_job(session, avatar_id)
    if avatar is None or (avatar.owner_id != viewer_id and avatar.visibility != Visibility.PUBLIC):
        raise NotFound(f"avatar #{avatar_id} does not exist or is not yours")
    return avatar


def add_favourite(session: Session, user_id: int, avatar_id: int) -> bool:
    """Save an avatar to a user's favourites; False if it was already there."""
    avatar = get_visible_avatar(session, avatar_id, user_id)
    if avatar.status not in FINISHED_STATUSES or avatar.image_key is None:
        raise NotFound(f"avatar #{avatar_id} has no picture to save yet")
    hold_user(session, user_id)  # not forgotten in the meantime
    values = {"user_id": user_id, "avatar_id": avatar_id, "created_at": utcnow()}
    return insert_ignoring_conflict(session, Favourite, values, ["user_id", "avatar_id"])


def delete_avatar(session: Session, avatar_id: int, *, owner_id: int | None = None) -> list[str]:
    """Delete one avatar (only the owner's when `owner_id` is given).

    Returns the image keys no other avatar uses, for the caller to delete from the
    image store after committing.
    """
    avatar = get_job(session, avatar_id)
    if owner_id is not None and avatar.owner_id != owner_id:
        raise NotFound(f"avatar #{avatar_id} does not exist or is not yours")
    return _delete_avatars(session, [avatar_id])


def forget_user(session: Session, user_id: int) -> list[str]:
    """Delete everything the bot keeps about a user: avatars, favourites, and the user row.

    A banned user's row stays (with the ban), so forgetting is not a way around a ban;
    the moderation log stays too. Returns the image keys to delete after committing. Complete even
    while the user asks for new avatars: those wait for this transaction (users.hold_user).
    """
    # Locked before listing: a job the user asks for meanwhile is either committed first (and listed
    # here) or refused once they are gone; never left behind to break the user row's deletion.
    user = lock_user(session, user_id)
    avatar_ids = list(session.scalars(select(Job.id).where(Job.owner_id == user_id)))
    session.execute(delete(Favourite).where(Favourite.user_id == user_id))
    keys = _delete_avatars(session, avatar_ids)
    if user is not None and not user.banned:
        session.delete(user)
    session.flush()
    return keys


def image_keys_in_use(session: Session, keys: Collection[str]) -> set[str]:
    """Those of `keys` that some avatar names, as its picture or as a photo job's uploaded source."""
    if not keys:
        return set()
    wanted = list(keys)
    used = set(session.scalars(select(Job.image_key).where(Job.image_key.in_(wanted))))
    source_key = Job.params["source_image_key"].as_string()
    used |= set(session.scalars(select(source_key).where(source_key.in_(wanted))))
    return used


def _delete_avatars(session: Session, avatar_ids: Sequence[int]) -> list[str]:
    """Delete the rows; returns the image keys nobody else uses.

    Deleting is also the cancellation of a job still queued or rendering: its broker message then
    claims nothing, and its worker finds the row gone when it comes to store the picture.
    """
    if not avatar_ids:
        return []
    ids = list(avatar_ids)
    # Lock first (with the children whose link is cleared below, in one id order): a worker storing
    # one of these results right now commits before the keys are read below, so its picture is
    # deleted with the rest instead of being left behind.
    lock_jobs(session, ids)
    rows = session.execute(select(Job.image_key, Job.params).where(Job.id.in_(ids))).all()
    keys = {key for key, _ in rows if key}
    # A photo job's uploaded source image is the user's too.
    keys |= {params["source_image_key"] for _, params in rows if params and params.get("source_image_key")}
    # Children of these avatars survive, without the link.
    session.execute(update(Job).where(Job.parent_id.in_(ids)).values(parent_id=None))
    session.execute(update(Job).where(Job.mix_parent_id.in_(ids)).values(mix_parent_id=None))
    session.execute(delete(Favourite).where(Favourite.avatar_id.in_(ids)))
    session.execute(delete(Job).where(Job.id.in_(ids)))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Job) and obj.id in ids:
            session.expunge(obj)
    if not keys:
        return []
    # Content addressing: an identical image may belong to another avatar too.
    return sorted(keys - image_keys_in_use(session, keys))
