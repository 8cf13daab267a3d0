"""Animation jobs through the worker with the tiny built-in model: one looping APNG stored, first
frame == last frame == the avatar itself, every drawing in one render call."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.db import repositories as repo
from core.db.models import JobStatus
from core.spec import parse_spec
from generator.animation import animation_requests
from generator.tasks import run_generate
from tests.generator.test_tasks import ScriptedBackend, job, make_context, no_requeue


@pytest.fixture(scope="module")
def tiny_backend(tmp_path_factory: pytest.TempPathFactory):
    from generator.builtin.backend import BuiltinBackend
    from tests.generator.tiny_chibi import save_tiny_pipeline

    weights = save_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "weights")
    return BuiltinBackend.load(weights, device="cpu", steps=2)


SPEC = {"style": "lorelei", "expression": "neutral", "hair": "long"}


def _animation(session_factory, motion: str, spec: dict = SPEC, seed: int = 42) -> int:
    with session_factory() as session:
        [row] = repo.create_jobs(
            session,
            owner_id=7,
            spec=parse_spec(spec),
            seeds=[seed],
            backend="builtin",
            kind="animation",
            params={"motion": motion},
        )
        session.commit()
        return row.id


def _frames(image_store, key: str) -> list[np.ndarray]:
    with Image.open(io.BytesIO(image_store.read_bytes(key))) as animation:
        assert animation.format == "PNG" and animation.n_frames == 16
        frames = []
        for i in range(animation.n_frames):
            animation.seek(i)
            frames.append(np.asarray(animation.convert("RGB")))
        assert animation.info.get("duration") == 150
        return frames


@pytest.mark.parametrize("motion", ["blink", "smile", "bounce"])
def test_an_animation_job_stores_one_seamless_loop(session_factory, image_store, tiny_backend, motion) -> None:
    context = make_context(session_factory, image_store, tiny_backend)
    job_id = _animation(session_factory, motion)
    outcome = run_generate(context, job_id, requeue=no_requeue)
    assert outcome.done == [job_id]
    row = job(session_factory, job_id)
    assert row.status == JobStatus.DONE
    frames = _frames(image_store, row.image_key)
    assert np.array_equal(frames[0], frames[-1])
    assert any(not np.array_equal(frames[0], f) for f in frames)  # it moves
    assert image_store.read_metadata(row.image_key)["motion"] == motion


def test_the_first_frame_is_the_avatar_itself(session_factory, image_store, tiny_backend) -> None:
    context = make_context(session_factory, image_store, tiny_backend)
    with session_factory() as session:
        [still] = repo.create_jobs(session, owner_id=7, spec=parse_spec(SPEC), seeds=[42], backend="builtin")
        session.commit()
        still_id = still.id
    run_generate(context, still_id, requeue=no_requeue)
    job_id = _animation(session_factory, "smile")
    run_generate(context, job_id, requeue=no_requeue)
    avatar = np.asarray(image_store.open(job(session_factory, still_id).image_key).convert("RGB"))
    first = _frames(image_store, job(session_factory, job_id).image_key)[0]
    assert np.abs(avatar.astype(int) - first.astype(int)).max() <= 2


def test_every_drawing_goes_in_one_render_call(session_factory, image_store) -> None:
    backend = ScriptedBackend()
    backend.kinds = backend.kinds | {"frame"}
    context = make_context(session_factory, image_store, backend)
    job_id = _animation(session_factory, "smile")
    run_generate(context, job_id, requeue=no_requeue)
    [call] = backend.calls
    assert [r.kind for r in call] == ["frame"] * 9 and [r.mix_ratio for r in call][0] == 0.0
    assert len(animation_requests(parse_spec(SPEC), 42, "smile")) == 9


def test_a_backend_without_frames_fails_only_the_animation(session_factory, image_store) -> None:
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend, batch_size=2)
    job_id = _animation(session_factory, "blink")
    with session_factory() as session:
        [other] = repo.create_jobs(session, owner_id=7, spec=parse_spec(SPEC), seeds=[1], backend="builtin")
        session.commit()
        other_id = other.id
    outcome = run_generate(context, job_id, requeue=no_requeue)
    assert outcome.failed == [job_id] and outcome.done == [other_id]
    assert "cannot draw animations" in job(session_factory, job_id).error


def test_a_motion_the_style_cannot_draw_fails_with_a_sentence(session_factory, image_store, tiny_backend) -> None:
    context = make_context(session_factory, image_store, tiny_backend)
    job_id = _animation(session_factory, "blink", {"style": "micah", "expression": "sad"})
    run_generate(context, job_id, requeue=no_requeue)
    row = job(session_factory, job_id)
    assert row.status == JobStatus.FAILED and "micah style cannot draw the wink expression" in row.error
