"""The bot's delivery bookkeeping and read-only insights, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from sqlalchemy.orm import Session, sessionmaker

from core.db import repositories as repo
from core.db.models import Job, ReviewState, utcnow
from core.shards import ShardPlan, shard_of
from core.spec import parse_spec

ALICE, BOB = 111111111111111111, 222222222222222222
APP = 333333333333333333
GUILD = 444444444444444444


def _request(session: Session, owner: int = ALICE, *, count: int = 1, **spec: str) -> list[Job]:
    jobs = repo.create_jobs(
        session, owner_id=owner, spec=parse_spec(spec), seeds=list(range(count)), backend="builtin", guild_id=GUILD
    )
    repo.save_reply(
        session,
        request_id=jobs[0].request_id,
        application_id=APP,
        token="secret-token",
        expires_at=utcnow() + timedelta(minutes=15),
        user_id=owner,
        locale="en-US",
        ephemeral=False,
        guild_id=GUILD,
        summary="Making it",
    )
    session.commit()
    return jobs


def _finish(session: Session, job: Job, n: int, *, flagged: bool = False) -> Job:
    repo.claim_jobs(session, job.id, worker_id="w", backend="builtin")
    done = repo.mark_done(session, job.id, image_key=f"{n:064x}", model_version="v1", flagged=flagged)
    session.commit()
    return done


def test_a_finished_job_is_claimed_for_delivery_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = _request(session)
        assert repo.claim_delivery(session, job.id) is False  # not finished yet
        _finish(session, job, 1)
        assert repo.undelivered_job_ids(session) == [job.id]
        assert repo.claim_delivery(session, job.id) is True
        assert repo.claim_delivery(session, job.id) is False
        session.commit()
        assert repo.undelivered_job_ids(session) == []
        assert repo.get_job(session, job.id).delivered_at is not None


def test_only_requests_the_bot_answers_are_swept(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [cli_job] = repo.create_jobs(session, owner_id=BOB, spec=parse_spec({}), seeds=[1], backend="builtin")
        session.commit()
        _finish(session, cli_job, 2)
        assert repo.undelivered_job_ids(session) == []


def test_holding_for_review_then_approval_makes_it_deliverable(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = _request(session)
        _finish(session, job, 3)
        assert repo.claim_hold(session, job.id) is True
        assert repo.claim_hold(session, job.id) is False
        session.commit()
        assert repo.get_job(session, job.id).review_state == ReviewState.PENDING
        assert repo.undelivered_job_ids(session) == []  # waiting for a moderator

        repo.set_review_state(session, job.id, "approved")
        session.commit()
        assert repo.undelivered_job_ids(session) == [job.id]
        assert repo.claim_delivery(session, job.id) is True

        [rejected] = _request(session)
        _finish(session, rejected, 4, flagged=True)
        repo.set_review_state(session, rejected.id, "rejected")
        session.commit()
        assert repo.claim_hold(session, rejected.id) is False
        assert repo.undelivered_job_ids(session) == []


def test_a_delivered_job_cannot_be_held(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = _request(session)
        _finish(session, job, 5)
        assert repo.claim_delivery(session, job.id)
        assert repo.claim_hold(session, job.id) is False


def test_the_reply_is_answered_once_and_progress_stops(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = _request(session)
        request_id = job.request_id
        now = utcnow()
        assert [r.request_id for r in repo.open_replies(session, now=now)] == [request_id]
        repo.update_reply(session, request_id, message_id=555, ephemeral=True, summary="Private now")
        reply = repo.get_reply(session, request_id)
        assert (reply.message_id, reply.ephemeral, reply.summary) == (555, True, "Private now")
        assert "secret-token" not in repr(reply)

        assert repo.claim_reply_answer(session, request_id) is True
        assert repo.claim_reply_answer(session, request_id) is False
        session.commit()
        assert repo.open_replies(session, now=now) == []


def test_expired_tokens_are_cleared_and_forget_me_removes_replies(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = _request(session)
        [other] = _request(session, BOB)
        later = utcnow() + timedelta(minutes=16)
        assert repo.open_replies(session, now=later) == []
        assert repo.clear_expired_tokens(session, now=later) == 2
        session.commit()
        assert repo.get_reply(session, job.request_id).token is None

        assert repo.forget_user_replies(session, ALICE) == 1
        session.commit()
        assert repo.get_reply(session, job.request_id) is None
        assert repo.get_reply(session, other.request_id) is not None


def test_review_posts_are_remembered(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [job] = _request(session)
        repo.set_review_post(session, job.id, channel_id=77, message_id=88)
        session.commit()
        found = repo.get_job(session, job.id)
        assert (found.review_channel_id, found.review_message_id) == (77, 88)


def test_queue_insights(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert repo.recent_render_seconds(session, "builtin") is None
        jobs = _request(session, count=3, style="micah")
        _finish(session, jobs[0], 6)
        repo.claim_jobs(session, jobs[1].id, worker_id="w", backend="builtin")
        session.commit()
        assert [j.id for j in repo.user_active_jobs(session, ALICE)] == [jobs[1].id, jobs[2].id]
        assert repo.count_queued(session, "builtin") == 1 and repo.count_queued(session, "stable-diffusion") == 0
        assert (repo.count_user_avatars(session, ALICE), repo.count_user_avatars(session, BOB)) == (3, 0)
        assert repo.user_active_jobs(session, BOB) == []
        seconds = repo.recent_render_seconds(session, "builtin")
        assert seconds is not None and 0 <= seconds < 60
        assert repo.recent_render_seconds(session, "stable-diffusion") is None
        assert repo.latest_user_avatar(session, ALICE).id == jobs[0].id
        assert repo.latest_user_avatar(session, BOB) is None


def test_style_examples_show_only_what_anyone_may_see(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        [micah] = _request(session, style="micah")
        [hidden] = _request(session, style="lorelei")
        [flagged] = _request(session, style="adventurer")
        _finish(session, micah, 7)
        _finish(session, hidden, 8)
        _finish(session, flagged, 9, flagged=True)
        hidden.visibility = "private"
        session.commit()
        examples = repo.style_examples(session, ("micah", "lorelei", "adventurer", "personas"))
        assert {s: a.id for s, a in examples.items()} == {"micah": micah.id}


def test_review_queue_and_audit_log_pages(session_factory: sessionmaker[Session]) -> None:
    page_size = 2
    with session_factory() as session:
        jobs = _request(session, count=3)
        for n, job in enumerate(jobs):
            _finish(session, job, 10 + n, flagged=True)
        for n in range(3):
            repo.record_moderation_action(
                session, moderator_id=BOB, action="ban", target_user_id=ALICE if n else BOB, guild_id=GUILD
            )
        session.commit()
        first = repo.review_queue_page(session, guild_id=GUILD, page=0, page_size=page_size)
        assert [a.id for a in first.items] == [jobs[0].id, jobs[1].id] and first.has_next and first.total == 3
        assert repo.review_queue_page(session, guild_id=GUILD + 1).total == 0
        log = repo.moderation_log_page(session, guild_id=GUILD, target_user_id=ALICE, page=0, page_size=page_size)
        assert log.total == 2 and log.items[0].id > log.items[1].id


def _guild_request(session: Session, guild_id: Optional[int]) -> Job:
    [job] = repo.create_jobs(
        session, owner_id=ALICE, spec=parse_spec({}), seeds=[0], backend="builtin", guild_id=guild_id
    )
    repo.save_reply(
        session,
        request_id=job.request_id,
        application_id=APP,
        token="secret-token",
        expires_at=utcnow() + timedelta(minutes=15),
        user_id=ALICE,
        locale="en-US",
        ephemeral=False,
        guild_id=guild_id,
    )
    session.commit()
    return job


def test_the_sweep_of_a_shard_sees_its_guilds_and_late_jobs_of_the_others(
    session_factory: sessionmaker[Session],
) -> None:
    # Real-sized guild ids (up to 2^63) on every shard of 4, and a direct message (shard 0): the SQL
    # must place each exactly where core.shards.shard_of (Discord's formula) does.
    guilds = [(1 << 62) + (n << 22) + n for n in range(8)] + [(1 << 63) - 1, 41771983423143937, None]
    with session_factory() as session:
        jobs = [_guild_request(session, guild) for guild in guilds]
        for n, job in enumerate(jobs):
            _finish(session, job, n)
        for ids in ((0,), (1, 3), (2,), (0, 1, 2, 3)):
            plan = ShardPlan(count=4, ids=ids)
            expected = {job.id for job in jobs if shard_of(job.guild_id, 4) in ids}
            assert set(repo.undelivered_job_ids(session, shards=plan)) == expected, ids
            open_ids = {r.request_id for r in repo.open_replies(session, now=utcnow(), shards=plan)}
            assert open_ids == {job.request_id for job in jobs if shard_of(job.guild_id, 4) in ids}
        # Another process's jobs once they are late: all of them, whatever the shard.
        plan = ShardPlan(count=4, ids=(2,))
        late = utcnow() + timedelta(seconds=1)
        assert set(repo.undelivered_job_ids(session, shards=plan, takeover_before=late)) == {j.id for j in jobs}
        early = min(j.finished_at for j in repo.request_jobs(session, jobs[0].request_id)) - timedelta(seconds=1)
        assert set(repo.undelivered_job_ids(session, shards=plan, takeover_before=early)) == {
            job.id for job in jobs if shard_of(job.guild_id, 4) == 2
        }
        assert set(repo.undelivered_job_ids(session, shards=ShardPlan())) == {j.id for j in jobs}
