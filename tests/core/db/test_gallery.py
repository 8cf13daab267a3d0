"""What the bot needs besides the queue: history, favourites, deletion, bans, the audit log, server settings."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.models import Favourite, Job, JobStatus, User
from core.errors import NotFound
from core.spec import parse_spec

ALICE, BOB = 111111111111111111, 222222222222222222


def finished(session: Session, owner_id: int, key: str, **kwargs) -> Job:
    """A done avatar of `owner_id` whose image has `key`."""
    [job] = repo.create_jobs(session, owner_id=owner_id, spec=parse_spec({}), seeds=[1], backend="builtin", **kwargs)
    repo.claim_jobs(session, job.id, worker_id="w", backend="builtin")
    done = repo.mark_done(session, job.id, image_key=key, model_version="v1")
    session.commit()
    return done


def key(n: int) -> str:
    return f"{n:064x}"


def favourites_of(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(Favourite.avatar_id).where(Favourite.user_id == user_id)))


def banned(session: Session, user_id: int) -> bool:
    user = session.get(User, user_id)
    return user is not None and user.banned


def test_history_lists_finished_avatars_newest_first_in_pages(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        ids = [finished(session, ALICE, key(i)).id for i in range(5)]
        [queued] = repo.create_jobs(session, owner_id=ALICE, spec=parse_spec({}), seeds=[9], backend="builtin")
        finished(session, BOB, key(99))
        session.commit()

        first = repo.list_user_avatars(session, ALICE, page=0, page_size=2)
        last = repo.list_user_avatars(session, ALICE, page=2, page_size=2)
        assert [a.id for a in first.items] == ids[::-1][:2] and first.has_next
        assert [a.id for a in last.items] == [ids[0]] and not last.has_next
        assert (first.total, first.pages) == (5, 3)
        everything = repo.list_user_avatars(session, ALICE, page_size=10, include_unfinished=True)
        assert everything.total == 6 and everything.items[0].id == queued.id
        with pytest.raises(ValueError):
            repo.list_user_avatars(session, ALICE, page=-1)


def test_favourites_add_once_list_and_remove(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        mine = finished(session, ALICE, key(1))
        theirs = finished(session, BOB, key(2))
        secret = finished(session, BOB, key(3), visibility="private")
        [unfinished] = repo.create_jobs(session, owner_id=BOB, spec=parse_spec({}), seeds=[1], backend="builtin")

        assert repo.add_favourite(session, ALICE, mine.id) is True
        assert repo.add_favourite(session, ALICE, theirs.id) is True
        assert repo.add_favourite(session, ALICE, theirs.id) is False  # already saved
        with pytest.raises(NotFound):
            repo.add_favourite(session, ALICE, secret.id)  # someone else's private avatar
        with pytest.raises(NotFound):
            repo.add_favourite(session, ALICE, unfinished.id)
        with pytest.raises(NotFound):
            repo.add_favourite(session, ALICE, 10_000)
        session.commit()

        assert favourites_of(session, ALICE) == {mine.id, theirs.id}


def test_delete_avatar_returns_keys_nobody_else_uses(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        parent = finished(session, ALICE, key(1))
        child = finished(session, BOB, key(2), kind="variation", parent_id=parent.id)
        twin = finished(session, BOB, key(1))  # the same picture (same bytes, same key)
        repo.add_favourite(session, BOB, parent.id)
        session.commit()

        with pytest.raises(NotFound):
            repo.delete_avatar(session, parent.id, owner_id=BOB)  # not his
        assert repo.delete_avatar(session, parent.id, owner_id=ALICE) == []  # key(1) is still the twin's
        session.commit()
        assert repo.get_job(session, child.id).parent_id is None
        assert favourites_of(session, BOB) == set()
        with pytest.raises(NotFound):
            repo.get_job(session, parent.id)
        assert repo.delete_avatar(session, twin.id) == [key(1)]


def test_forget_user_deletes_their_data_but_keeps_a_ban_and_the_log(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        photo = finished(session, ALICE, key(1), kind="photo", params={"source_image_key": key(7), "strength": 0.6})
        finished(session, ALICE, key(2))
        kept = finished(session, BOB, key(3), kind="mix", mix_parent_id=photo.id)
        repo.add_favourite(session, ALICE, kept.id)
        repo.add_favourite(session, BOB, photo.id)
        repo.record_moderation_action(session, moderator_id=BOB, action="report", target_user_id=ALICE)
        session.commit()

        assert repo.forget_user(session, ALICE) == sorted([key(1), key(2), key(7)])
        session.commit()
        assert session.get(User, ALICE) is None
        assert repo.list_user_avatars(session, ALICE, include_unfinished=True).total == 0
        assert repo.get_job(session, kept.id).mix_parent_id is None
        assert favourites_of(session, BOB) == set()
        assert repo.moderation_log_page(session, guild_id=None, target_user_id=ALICE).total == 1

        repo.set_banned(session, BOB, True, reason="spam")
        assert repo.forget_user(session, BOB) == [key(3)]
        session.commit()
        assert banned(session, BOB) and session.get(User, BOB).banned_reason == "spam"
        assert repo.forget_user(session, 333) == []


def test_ban_and_unban(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert not banned(session, ALICE)  # never seen
        user = repo.set_banned(session, ALICE, True, reason="posting slurs")
        session.commit()
        assert user.banned and banned(session, ALICE)
        repo.set_banned(session, ALICE, False)
        session.commit()
        assert not banned(session, ALICE) and session.get(User, ALICE).banned_reason is None
        assert repo.ensure_user(session, ALICE) is repo.ensure_user(session, ALICE)


def test_audit_log_newest_first_with_filters_and_paging(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        avatar = finished(session, ALICE, key(1))
        ban = repo.record_moderation_action(
            session, moderator_id=BOB, action="ban", target_user_id=ALICE, guild_id=5, reason="spam"
        )
        reject = repo.record_moderation_action(
            session, moderator_id=BOB, action="reject", target_user_id=ALICE, avatar_id=avatar.id, guild_id=5
        )
        other = repo.record_moderation_action(session, moderator_id=BOB, action="settings", guild_id=6)
        session.commit()
        assert ban.created_at is not None and ban.reason == "spam"
        def log(**filters: object) -> list[int]:
            return [e.id for e in repo.moderation_log_page(session, **filters).items]  # type: ignore[arg-type]

        assert log(guild_id=None) == [other.id, reject.id, ban.id]
        assert log(guild_id=5) == [reject.id, ban.id]
        assert log(guild_id=5, page_size=1, page=1) == [ban.id]
        with pytest.raises(ValueError):
            repo.record_moderation_action(session, moderator_id=BOB, action="smite")


def test_review_queue(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        a = finished(session, ALICE, key(1), guild_id=5)
        b = finished(session, ALICE, key(2), guild_id=6)
        repo.set_review_state(session, a.id, "pending")
        repo.set_review_state(session, b.id, "pending")
        session.commit()
        def queue(guild_id: int | None = None) -> list[int]:
            return [x.id for x in repo.review_queue_page(session, guild_id=guild_id).items]

        assert queue() == [a.id, b.id]
        assert queue(guild_id=6) == [b.id]
        assert repo.set_review_state(session, a.id, "approved").status == JobStatus.DONE
        session.commit()
        assert queue() == [b.id]


def test_guild_settings_merge_and_remove(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert repo.get_guild_settings(session, 5) == {}
        repo.update_guild_settings(session, 5, {"review_mode": "flagged", "channels": [1, 2]})
        session.commit()
    with session_factory() as session:
        result = repo.update_guild_settings(session, 5, {"review_mode": "everything", "channels": None, "quota": 10})
        session.commit()
        assert result == {"review_mode": "everything", "quota": 10}
    with session_factory() as session:
        assert repo.get_guild_settings(session, 5) == {"review_mode": "everything", "quota": 10}
