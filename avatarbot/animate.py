"""`avatarbot animate`: an avatar PNG (its spec and seed, from its metadata) -> an animation job ->
the real queue -> a worker -> the looping APNG, the inline WebP and the sticker APNG.

Like `generate`, nothing is faked: the job goes through the configured broker to an
`avatarbot worker` process (started here on the embedded default when none is alive)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Optional, TextIO

from avatarbot.generate import CLI_USER_ID, _ensure_worker, send_and_wait
from avatarbot.local_worker import LocalWorker
from avatarbot.looks import read_source
from avatarbot.output import OutputFolder
from core.db import repositories as repo
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from core.db.models import JobStatus
from core.errors import AvatarError
from core.export.animation import check_motion
from core.export.encode import encode_animated_webp, encode_sticker, read_animation
from core.image_stores import make_image_store
from core.settings import Settings
from core.spec import AvatarSpec


def avatar_of(image_path: Path) -> tuple[AvatarSpec, int]:
    """The spec and seed an avatar PNG carries in its metadata; UsageError when it has none."""
    source = read_source(image_path)
    return source.spec.replace(seed=None, count=1), source.seed


def check_animation_request(image_path: Path, motion: str) -> tuple[AvatarSpec, int]:
    """Everything checked before a job exists (InvalidAnimation, UsageError)."""
    spec, seed = avatar_of(image_path)
    check_motion(motion, spec)
    return spec, seed


def run_animate_command(
    settings: Settings, image_path: Path, motion: str, out: Path, *, timeout_s: float, stdout: TextIO
) -> int:
    spec, seed = check_animation_request(image_path, motion)
    output = OutputFolder.prepare(out)
    worker: Optional[LocalWorker] = None
    engine = None
    try:
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        session_factory = make_session_factory(engine)
        with session_factory() as session:
            repo.ensure_user(session, CLI_USER_ID)
            [row] = repo.create_jobs(
                session,
                owner_id=CLI_USER_ID,
                spec=spec,
                seeds=[seed],
                backend=settings.backend,
                kind="animation",
                params={"motion": motion},
                request_id=str(uuid.uuid4()),
                visibility="private",
            )
            session.commit()
            job_id = row.id
        worker = _ensure_worker(settings, session_factory, stdout)
        [result], total_s = send_and_wait(settings, session_factory, [job_id], timeout_s, worker)
        if result.status != JobStatus.DONE or result.image_key is None:
            raise AvatarError(f"the animation was not made: {result.error or result.status}")
        apng = make_image_store(settings).read_bytes(result.image_key)
        frames, durations = read_animation(apng)
        stem = f"{image_path.stem}-{motion}"
        output.path(f"{stem}.png").write_bytes(apng)
        output.path(f"{stem}.webp").write_bytes(encode_animated_webp(frames, durations))
        output.path(f"{stem}-sticker.png").write_bytes(encode_sticker(frames, durations))
        written = output.commit()
    except BaseException:
        output.discard()
        raise
    finally:
        if worker is not None:
            worker.stop()
        if engine is not None:
            engine.dispose()
    print(
        f"{len(frames)} frames, {sum(durations) / 1000:.1f} s loop; render {result.render_s or 0:.2f} s "
        f"(the first includes loading the model), {total_s:.1f} s in all",
        file=stdout,
    )
    for path in written:
        print(f"{path}  ({path.stat().st_size / 1024:.0f} KiB)", file=stdout)
    return 0
