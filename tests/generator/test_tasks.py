"""The generate task's body on a real database, with the tiny built-in backend or a failing one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional

import pytest
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.gallery.service import Gallery
from core.db import repositories as repo
from core.db.models import Job, JobStatus, ReviewState, User
from core.db.repositories.leases import return_job_from_dead_worker
from core.errors import GenerationFailed, TransientGenerationError
from core.images import ImageStore
from core.local_images import LocalImageStore
from core.settings import Settings
from core.spec import parse_spec
from generator.backends.base import RenderRequest, RenderResult
from generator.context import WorkerContext
from generator.tasks import retry_delay, run_generate
from tests.core.db.locks import Race, Racer, wait_until_blocked


class RecordingNotifier:
    def __init__(self) -> None:
        self.published: list[tuple[int, str]] = []

    def publish(self, job_id: int, status: str) -> None:
        self.published.append((job_id, status))


class ScriptedBackend:
    """A backend whose render raises what it is told to, and records each call."""

    name = "builtin"
    model_version = "scripted0001"
    kinds = frozenset({"create", "reroll", "variation", "mix", "photo"})

    def __init__(self, error: BaseException | None = None, *, flags: list[bool] | None = None, sleep_s: float = 0.0):
        self.error = error
        self.calls: list[list[RenderRequest]] = []
        self.flags = flags
        self.sleep_s = sleep_s

    def render(self, requests: Sequence[RenderRequest]) -> RenderResult:
        self.calls.append(list(requests))
        if self.sleep_s:
            time.sleep(self.sleep_s)
        if self.error is not None:
            raise self.error
        images = [Image.new("RGB", (8, 8), (request.seed % 256, 0, 0)) for request in requests]
        return RenderResult(images=images, flagged=list(self.flags or []))


@pytest.fixture(scope="module")
def tiny_backend(tmp_path_factory: pytest.TempPathFactory):
    from generator.builtin.backend import BuiltinBackend
    from tests.generator.tiny_chibi import save_tiny_pipeline

    weights = save_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "weights")
    return BuiltinBackend.load(weights, device="cpu", steps=2)


def make_context(
    session_factory: sessionmaker[Session], image_store: ImageStore, backend, **settings: object
) -> WorkerContext:
    loads: list[int] = []

    def load():
        loads.append(1)
        return backend

    context = WorkerContext(
        settings=Settings(**{"max_attempts": 2, "retry_backoff_s": 1, **settings}),
        session_factory=session_factory,
        image_store=image_store,
        notifier=RecordingNotifier(),  # type: ignore[arg-type]
        worker_id="test-worker@host",
        load_backend=load,
    )
    context.loads = loads  # type: ignore[attr-defined]
    return context


def create(session_factory: sessionmaker[Session], count: int = 1, **kwargs: object) -> list[int]:
    with session_factory() as session:
        rows = repo.create_jobs(
            session,
            owner_id=7,
            spec=parse_spec({"hair": "long"}),
            seeds=[100 + i for i in range(count)],
            backend="builtin",
            **kwargs,  # type: ignore[arg-type]
        )
        session.commit()
        return [row.id for row in rows]


def job(session_factory: sessionmaker[Session], job_id: int):
    with session_factory() as session:
        return repo.get_job(session, job_id)


def no_requeue(job_ids: Sequence[int], countdown: float) -> None:
    raise AssertionError(f"unexpected requeue of {job_ids}")


def test_renders_stores_marks_done_and_notifies(session_factory, image_store, tiny_backend) -> None:
    context = make_context(session_factory, image_store, tiny_backend)
    [job_id] = create(session_factory)

    outcome = run_generate(context, job_id, requeue=no_requeue)

    assert outcome.claimed == outcome.done == [job_id]
    row = job(session_factory, job_id)
    assert row.status == JobStatus.DONE and row.attempts == 1 and row.worker_id == "test-worker@host"
    assert row.model_version == tiny_backend.model_version
    assert image_store.read_metadata(row.image_key)["spec"] == '{"hair":"long"}'
    with image_store.open(row.image_key) as image:
        assert image.size == (64, 64)
    assert context.notifier.published == [(job_id, "done")]


def test_a_redelivered_message_does_not_render_again(session_factory, image_store) -> None:
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend)
    [job_id] = create(session_factory)
    run_generate(context, job_id, requeue=no_requeue)

    outcome = run_generate(context, job_id, requeue=no_requeue)

    assert outcome.claimed == [] and len(backend.calls) == 1
    assert job(session_factory, job_id).attempts == 1


def test_backend_is_loaded_lazily_and_once(session_factory, image_store) -> None:
    context = make_context(session_factory, image_store, ScriptedBackend())
    assert context.loads == []
    for job_id in create(session_factory, 3):
        run_generate(context, job_id, requeue=no_requeue)
    assert context.loads == [1]


def test_batch_claims_queued_jobs_of_the_backend_in_one_render(session_factory, image_store) -> None:
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend, batch_size=3)
    job_ids = create(session_factory, 4)

    outcome = run_generate(context, job_ids[1], requeue=no_requeue)

    assert outcome.done[0] == job_ids[1] and len(outcome.done) == 3
    assert len(backend.calls) == 1 and len(backend.calls[0]) == 3
    assert job(session_factory, job_ids[3]).status == JobStatus.QUEUED  # beyond the batch


def test_transient_error_releases_and_requeues_with_backoff_then_gives_up(session_factory, image_store) -> None:
    backend = ScriptedBackend(TransientGenerationError("device busy"))
    context = make_context(session_factory, image_store, backend, max_attempts=2, retry_backoff_s=3)
    [job_id] = create(session_factory)
    requeued: list[tuple[list[int], float]] = []

    first = run_generate(context, job_id, requeue=lambda ids, delay: requeued.append((list(ids), delay)))

    assert first.retried == [job_id] and requeued == [([job_id], 3.0)]
    row = job(session_factory, job_id)
    assert row.status == JobStatus.QUEUED and row.error == "device busy" and row.worker_id is None

    second = run_generate(context, job_id, requeue=no_requeue)

    assert second.failed == [job_id]
    row = job(session_factory, job_id)
    assert row.status == JobStatus.FAILED and row.attempts == 2
    assert row.error == "gave up after 2 attempts: device busy"
    assert context.notifier.published == [(job_id, "failed")]


def test_database_operational_error_is_retried(session_factory, image_store) -> None:
    error = OperationalError("UPDATE avatars", {}, Exception("server closed the connection unexpectedly"))
    context = make_context(session_factory, image_store, ScriptedBackend(error))
    [job_id] = create(session_factory)
    requeued: list[list[int]] = []

    outcome = run_generate(context, job_id, requeue=lambda ids, delay: requeued.append(list(ids)))

    assert outcome.retried == [job_id] and requeued == [[job_id]]
    assert job(session_factory, job_id).status == JobStatus.QUEUED


def test_generation_failure_is_stored_as_its_readable_message(session_factory, image_store) -> None:
    backend = ScriptedBackend(GenerationFailed("the model cannot draw that"))
    context = make_context(session_factory, image_store, backend)
    [job_id] = create(session_factory)

    run_generate(context, job_id, requeue=no_requeue)

    row = job(session_factory, job_id)
    assert row.status == JobStatus.FAILED and row.error == "the model cannot draw that"


def test_unexpected_error_is_logged_with_an_id_and_stored_short(session_factory, image_store, caplog) -> None:
    context = make_context(session_factory, image_store, ScriptedBackend(ZeroDivisionError("division by zero")))
    [job_id] = create(session_factory)

    run_generate(context, job_id, requeue=no_requeue)

    row = job(session_factory, job_id)
    assert row.status == JobStatus.FAILED and row.error.startswith("internal error (id ")
    error_id = row.error.removeprefix("internal error (id ").rstrip(")")
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log, not on the row


def test_soft_time_limit_fails_the_job_with_a_clear_error(session_factory, image_store) -> None:
    context = make_context(
        session_factory, image_store, ScriptedBackend(sleep_s=3), task_soft_time_limit_s=1, task_time_limit_s=30
    )
    [job_id] = create(session_factory)

    run_generate(context, job_id, requeue=no_requeue)

    row = job(session_factory, job_id)
    assert row.status == JobStatus.FAILED and row.error == "the render took longer than 1 s and was stopped"


def test_safety_flags_from_the_backend_make_flagged_jobs(session_factory, image_store) -> None:
    context = make_context(session_factory, image_store, ScriptedBackend(flags=[False, True]), batch_size=2)
    first, second = create(session_factory, 2)

    run_generate(context, first, requeue=no_requeue)

    assert job(session_factory, first).status == JobStatus.DONE
    flagged = job(session_factory, second)
    assert flagged.status == JobStatus.FLAGGED and flagged.review_state == ReviewState.PENDING


def test_each_kind_maps_to_its_render_request(session_factory, image_store, tmp_path: Path) -> None:
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend)
    [original] = create(session_factory)
    [other] = create(session_factory)
    photo_key = image_store.put_image(Image.new("RGB", (16, 16), "white"), {"source": "upload"}, ai_generated=False)
    [variation] = create(
        session_factory, kind="variation", parent_id=original, params={"strength": 0.3, "variation_seed": 9}
    )
    [mix] = create(session_factory, kind="mix", parent_id=original, mix_parent_id=other, params={"mix_ratio": 0.25})
    [photo] = create(session_factory, kind="photo", params={"source_image_key": photo_key, "strength": 0.6})
    [broken] = create(session_factory, kind="variation", params={"strength": 0.3})

    for job_id in (variation, mix, photo, broken):
        run_generate(context, job_id, requeue=no_requeue)

    [[v], [m], [p]] = backend.calls
    assert (v.kind, v.strength, v.variation_seed) == ("variation", 0.3, 9)
    assert (m.kind, m.mix_ratio, m.mix_with.seed) == ("mix", 0.25, job(session_factory, other).seed)
    assert p.kind == "photo" and p.strength == 0.6 and p.init_image.size == (16, 16)
    row = job(session_factory, broken)
    assert row.status == JobStatus.FAILED
    assert row.error == f"variation job {broken} is missing its 'variation_seed' parameter"


def _upload(image_store: ImageStore, colour: str = "white") -> str:
    return image_store.put_image(Image.new("RGB", (16, 16), colour), {"source": "upload"}, ai_generated=False)


def test_a_photo_job_without_an_upload_is_drawn_like_a_create(session_factory, image_store) -> None:
    # The built-in backend: the bot read the photo and kept nothing but the reading.
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend)
    reading = {"read": {"hair": "long"}, "confidence": {"hair": 0.9}}
    [photo] = create(session_factory, kind="photo", photo_reading=reading)

    outcome = run_generate(context, photo, requeue=no_requeue)

    [[request]] = backend.calls
    assert outcome.done == [photo]
    assert (request.kind, request.init_image, request.spec.hair) == ("create", None, "long")
    row = job(session_factory, photo)
    assert (row.kind, row.photo_reading) == ("photo", reading)


@pytest.mark.parametrize("ending", ["drawn", "failed"])
def test_the_uploaded_photo_is_deleted_once_the_job_ends(session_factory, image_store, ending: str) -> None:
    error = None if ending == "drawn" else GenerationFailed("the model cannot draw that")
    context = make_context(session_factory, image_store, ScriptedBackend(error))
    key = _upload(image_store)
    [photo] = create(session_factory, kind="photo", params={"source_image_key": key})

    run_generate(context, photo, requeue=no_requeue)

    row = job(session_factory, photo)
    assert row.status == (JobStatus.DONE if ending == "drawn" else JobStatus.FAILED)
    assert not image_store.exists(key) and "source_image_key" not in row.params
    assert row.image_key != key


def test_a_retried_photo_job_keeps_its_upload_until_it_gives_up(session_factory, image_store) -> None:
    context = make_context(session_factory, image_store, ScriptedBackend(TransientGenerationError("busy")))
    key = _upload(image_store)
    [photo] = create(session_factory, kind="photo", params={"source_image_key": key})

    run_generate(context, photo, requeue=lambda ids, delay: None)
    assert image_store.exists(key)  # the next attempt needs it

    run_generate(context, photo, requeue=no_requeue)
    assert job(session_factory, photo).status == JobStatus.FAILED and not image_store.exists(key)


def test_an_upload_another_queued_job_names_stays_for_that_job(session_factory, image_store) -> None:
    # The same photo sent twice is one file (content addressing): the first job must not take it away.
    context = make_context(session_factory, image_store, ScriptedBackend())
    key = _upload(image_store)
    [first] = create(session_factory, kind="photo", params={"source_image_key": key})
    [second] = create(session_factory, kind="photo", params={"source_image_key": key})

    run_generate(context, first, requeue=no_requeue)
    assert image_store.exists(key) and job(session_factory, second).params["source_image_key"] == key

    run_generate(context, second, requeue=no_requeue)
    assert not image_store.exists(key)


def test_a_worker_that_lost_its_job_does_not_finish_it(session_factory, image_store) -> None:
    # While this worker renders, the reconciler takes it for dead and another worker claims the job.
    [job_id] = create(session_factory)

    class TakenAway(ScriptedBackend):
        def render(self, requests):
            with session_factory() as session:
                assert return_job_from_dead_worker(session, job_id, worker_id="test-worker@host")
                repo.claim_jobs(session, job_id, worker_id="other@host", backend="builtin")
                session.commit()
            return super().render(requests)

    context = make_context(session_factory, image_store, TakenAway())

    outcome = run_generate(context, job_id, requeue=no_requeue)

    assert outcome.claimed == [job_id] and outcome.done == [] and outcome.failed == []
    row = job(session_factory, job_id)
    assert row.status == JobStatus.RUNNING and row.worker_id == "other@host" and row.image_key is None
    assert context.notifier.published == []


def test_retry_delay_grows_and_stays_inside_the_lease() -> None:
    assert [retry_delay(5, n, 120) for n in (1, 2, 3, 10)] == [5.0, 10.0, 20.0, 60.0]


# -- deleted while rendering -----------------------------------------------------------------
# The owner deletes the avatar (or runs forget-me) while its job is queued, rendering, or being
# stored: no picture may stay in the image store and no row may come back.

OWNER = 7  # create() makes jobs of this user


def gallery(session_factory: sessionmaker[Session], image_store: ImageStore) -> Gallery:
    return Gallery(Settings(), session_factory, image_store)


def remove(gallery: Gallery, job_id: int, how: str) -> None:
    """What the bot does on the delete button or the forget-me confirmation."""
    if how == "delete":
        gallery.delete(OWNER, job_id)
    else:
        gallery.forget(OWNER)


def pictures(image_store: LocalImageStore) -> list[Path]:
    return sorted(image_store.root.rglob("*.png"))


def assert_gone(session_factory: sessionmaker[Session], job_id: int, how: str) -> None:
    with session_factory() as session:
        assert session.get(Job, job_id) is None
        if how == "forget":
            assert session.get(User, OWNER) is None


class StoreThatRaces(LocalImageStore):
    """Runs `race` once, when the worker stores its first picture: the worker then holds the job's
    row (it checked the job is still its own) and has not committed yet."""

    def __init__(self, root: Path, race: Callable[[], None]) -> None:
        super().__init__(root)
        self._race: Optional[Callable[[], None]] = race

    def put_image(self, image: Image.Image, metadata: Any, *, ai_generated: bool = True) -> str:
        race, self._race = self._race, None
        if race is not None:
            race()
        return super().put_image(image, metadata, ai_generated=ai_generated)


class BlockedDeleter:
    """Runs a removal in a thread and returns from start() once that thread waits on a lock the
    worker holds (PostgreSQL shows the wait; on SQLite it has sent its first write, which cannot
    pass the worker's write lock). What it read before then was read before the worker's commit."""

    def __init__(self, engine: Engine, action: Callable[[], None]) -> None:
        self.engine = engine
        self.action = action
        self.race = Race(engine)
        self.racer: Optional[Racer] = None

    def start(self) -> None:
        self.racer = self.race.__enter__().start(self.action, name="deleter")
        wait_until_blocked(self.engine, self.racer)

    def join(self) -> None:
        assert self.racer is not None, "the deletion never started"
        error = self.racer.join()
        self.race.__exit__(None, None, None)
        if error is not None:
            raise error


@pytest.mark.parametrize("how", ["delete", "forget"])
def test_deleting_while_the_worker_stores_the_result_leaves_no_picture(
    engine: Engine, session_factory, image_store, how: str
) -> None:
    [job_id] = create(session_factory)
    deleter = BlockedDeleter(engine, lambda: remove(gallery(session_factory, image_store), job_id, how))
    store = StoreThatRaces(image_store.root, deleter.start)
    context = make_context(session_factory, store, ScriptedBackend())

    outcome = run_generate(context, job_id, requeue=no_requeue)
    deleter.join()

    assert outcome.done == [job_id]  # stored first (the deletion waited), then deleted with its picture
    assert_gone(session_factory, job_id, how)
    assert pictures(image_store) == []


def test_a_batch_worker_and_a_forget_me_of_its_jobs_wait_for_each_other_without_deadlock(
    engine: Engine, session_factory, image_store
) -> None:
    # The worker's batch is [second, first] (the job its message named comes first); forget-me
    # deletes both. The worker used to lock `second`, store it, then lock `first`, while forget-me
    # locked `first` and waited for `second`: a deadlock, one of them killed by PostgreSQL.
    first, second = create(session_factory, 2)
    deleter = BlockedDeleter(engine, lambda: gallery(session_factory, image_store).forget(OWNER))
    store = StoreThatRaces(image_store.root, deleter.start)
    context = make_context(session_factory, store, ScriptedBackend(), batch_size=2)

    outcome = run_generate(context, second, requeue=no_requeue)
    deleter.join()

    assert outcome.done == [second, first] and outcome.retried == [] and outcome.failed == []
    for job_id in (first, second):
        assert_gone(session_factory, job_id, "forget")
    assert pictures(image_store) == []


@pytest.mark.parametrize("how", ["delete", "forget"])
def test_an_avatar_deleted_while_it_renders_is_dropped_quietly(
    session_factory, image_store, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    [job_id] = create(session_factory)

    class DeletedMeanwhile(ScriptedBackend):
        def render(self, requests):
            remove(gallery(session_factory, image_store), job_id, how)
            return super().render(requests)

    context = make_context(session_factory, image_store, DeletedMeanwhile())

    with caplog.at_level(logging.INFO, logger="generator.tasks"):
        outcome = run_generate(context, job_id, requeue=no_requeue)

    assert outcome.claimed == [job_id] and outcome.done == [] and outcome.failed == []
    assert_gone(session_factory, job_id, how)
    assert pictures(image_store) == [] and context.notifier.published == []
    # An owner's deletion is ordinary: said at info level, not warned about as a lost job.
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any(f"job {job_id} was deleted" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("how", ["delete", "forget"])
def test_a_job_deleted_while_queued_is_not_rendered(session_factory, image_store, how: str) -> None:
    [job_id] = create(session_factory)
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend)
    remove(gallery(session_factory, image_store), job_id, how)

    outcome = run_generate(context, job_id, requeue=no_requeue)  # its message arrives afterwards

    assert outcome.claimed == [] and backend.calls == []
    assert_gone(session_factory, job_id, how)
    assert pictures(image_store) == []


def test_a_picture_whose_result_is_not_committed_is_not_kept(session_factory, image_store, monkeypatch) -> None:
    # The picture is written, then the database goes away before the result is committed.
    real_mark_done = repo.mark_done

    def mark_done_then_lose_the_connection(session: Session, job_id: int, **kwargs: Any) -> Job:
        real_mark_done(session, job_id, **kwargs)
        raise OperationalError("UPDATE avatars", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(repo, "mark_done", mark_done_then_lose_the_connection)
    context = make_context(session_factory, image_store, ScriptedBackend())
    [job_id] = create(session_factory)
    requeued: list[list[int]] = []

    outcome = run_generate(context, job_id, requeue=lambda ids, delay: requeued.append(list(ids)))

    assert outcome.retried == [job_id] and requeued == [[job_id]]
    assert job(session_factory, job_id).status == JobStatus.QUEUED
    assert pictures(image_store) == []


def test_a_picture_another_avatar_uses_is_kept_when_the_commit_fails(session_factory, image_store, monkeypatch) -> None:
    # Content addressing: a committed avatar may already name the very file this render came to.
    context = make_context(session_factory, image_store, ScriptedBackend())
    [first] = create(session_factory)
    run_generate(context, first, requeue=no_requeue)
    [picture] = pictures(image_store)

    class SameBytes(LocalImageStore):
        def put_image(self, image: Image.Image, metadata: Any, *, ai_generated: bool = True) -> str:
            return picture.stem

    def lose_the_connection(session: Session, job_id: int, **kwargs: Any) -> Job:
        raise OperationalError("UPDATE avatars", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(repo, "mark_done", lose_the_connection)
    [second] = create(session_factory)

    run_generate(
        make_context(session_factory, SameBytes(image_store.root), ScriptedBackend()),
        second,
        requeue=lambda ids, delay: None,
    )

    assert pictures(image_store) == [picture]
    with session_factory() as session:
        assert session.scalar(select(Job.image_key).where(Job.id == first)) == picture.stem


def test_an_image_store_that_cannot_be_reached_is_an_outage_the_job_waits_for(
    session_factory, s3_endpoint: str, tmp_path: Path
) -> None:
    from core.image_stores import make_image_store
    from tests.s3_server import s3_settings_for

    unreachable = make_image_store(s3_settings_for(s3_endpoint, "no-such-bucket", tmp_path))
    context = make_context(session_factory, unreachable, ScriptedBackend())
    [create_job] = create(session_factory)
    [photo] = create(session_factory, kind="photo", params={"source_image_key": "a" * 64})

    requeued: list[list[int]] = []
    for job_id in (create_job, photo):
        outcome = run_generate(context, job_id, requeue=lambda ids, delay: requeued.append(list(ids)))
        assert outcome.retried == [job_id] and requeued[-1] == [job_id], job_id
        row = job(session_factory, job_id)
        assert row.status == JobStatus.QUEUED and "the image bucket 'no-such-bucket' does not exist" in row.error
