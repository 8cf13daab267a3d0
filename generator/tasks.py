"""The generate task's body: claim -> render a batch -> store -> mark -> notify.

Kept free of Celery so it can be tested directly; generator.celery_app wraps
it in the registered task.

How a job row becomes a RenderRequest (the contract with whoever creates jobs):
- create / reroll: `spec` and `seed`;
- variation: `spec` and `seed` of the original, `params.variation_seed` and,
  when the person chose one, `params.strength` (0..1);
- mix: `spec`/`seed` are avatar A; the row named by `mix_parent_id` is avatar B;
  `params.mix_ratio` when chosen;
- photo: `spec` was read from the person's photo (the bot read it; the job keeps only what
  was read, in `photo_reading`). With no `params.source_image_key` it is drawn like a create;
  with one (a backend that repaints the photo, Stable Diffusion), that key names the uploaded
  picture in the image store, drawn image-to-image with the spec in the prompt and
  `params.strength` when chosen. The upload is deleted as soon as the job is done or has
  failed for good (never kept with the avatar); a retry keeps it for the next attempt.
- animation: `spec`/`seed` are the avatar's; `params.motion` (blink, smile, bounce). The job is
  drawn as several "frame" requests in the same batch (core.export.animation plans them), and its
  picture is one looping animated PNG.
- edit: `spec` is the original's with the changed attributes, `seed` the original's, `parent_id`
  the original and `params.source_spec` the original's spec (kept in the row, so an edit still
  renders after its original is deleted);
- pack: one row per expression, like an edit, sharing one request id; the worker claims the
  whole pack together and draws it in one batched call (beside its batch size).
A parameter the job leaves out gets the backend's own default (RenderRequest).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from celery.exceptions import SoftTimeLimitExceeded
from PIL import Image
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.db import repositories as repo
from core.db.models import Job
from core.db.repositories.leases import hold_jobs
from core.errors import AvatarError, GenerationFailed, ImageStoreUnavailable, NotFound, TransientGenerationError
from core.spec import AvatarSpec, parse_spec
from generator.animation import animation_png, animation_requests
from generator.backends.base import GeneratorBackend, MixSource, RenderRequest, RenderResult
from generator.context import WorkerContext
from generator.outages import OUTAGE_ERRORS, outage_line
from generator.time_limits import time_limits

log = logging.getLogger(__name__)

# Re-enqueue job ids after `countdown` seconds (a retry with backoff).
Requeue = Callable[[Sequence[int], float], None]

# Errors worth another attempt: the model said so, or the database connection dropped.
# An image store that cannot be reached (an S3 endpoint down) is an outage too: the job waits for it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (TransientGenerationError, OperationalError, ImageStoreUnavailable)


@dataclass(frozen=True)
class ClaimedJob:
    """What the task needs of a claimed row, detached from its session."""

    id: int
    spec: AvatarSpec
    seed: int
    kind: str
    params: dict[str, Any]
    mix_parent_id: Optional[int]
    attempts: int
    waited_s: Optional[float] = None  # from its last enqueue (or creation) to this claim

    @classmethod
    def from_row(cls, row: Job) -> ClaimedJob:
        return cls(
            id=row.id,
            spec=parse_spec(dict(row.spec)),
            seed=int(row.seed),
            kind=str(row.kind),
            params=dict(row.params or {}),
            mix_parent_id=row.mix_parent_id,
            attempts=int(row.attempts),
            waited_s=_seconds_between(row.enqueued_at or row.queued_at, row.started_at),
        )


@dataclass
class GenerateOutcome:
    """What one task run did, for logs and tests."""

    claimed: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)


def run_generate(context: WorkerContext, job_id: int, *, requeue: Requeue) -> GenerateOutcome:
    """Render job `job_id` (and up to batch_size - 1 other queued jobs) unless it was already claimed."""
    settings = context.settings
    outcome = GenerateOutcome()
    with context.session_factory() as session:
        rows = repo.claim_jobs(
            session, job_id, worker_id=context.worker_id, backend=settings.backend, limit=settings.batch_size,
            with_pack=True,
        )
        session.commit()
        jobs = [ClaimedJob.from_row(row) for row in rows]
    if not jobs:
        # A redelivered or duplicate message (someone else has or had this job), or its owner deleted it.
        log.info("job %s is no longer queued (claimed elsewhere, finished or deleted); nothing to do", job_id)
        return outcome
    outcome.claimed = [job.id for job in jobs]
    log.info("claimed jobs %s", outcome.claimed)
    metrics = context.metrics
    if metrics is not None:
        for job in jobs:
            if job.waited_s is not None:
                metrics.queue_wait_seconds.labels(settings.backend).observe(job.waited_s)
        metrics.batch_size.labels(settings.backend).set(len(jobs))
    try:
        return _render_claimed(context, jobs, outcome, requeue)
    finally:
        if metrics is not None:
            metrics.batch_size.labels(settings.backend).set(0)


def _render_claimed(
    context: WorkerContext, jobs: list[ClaimedJob], outcome: GenerateOutcome, requeue: Requeue
) -> GenerateOutcome:
    settings = context.settings

    try:
        backend = context.backend()
        jobs, requests = _prepare(context, jobs, outcome)
        if not jobs:
            return outcome
        with time_limits(
            settings.task_soft_time_limit_s,
            settings.task_time_limit_s,
            on_hard_limit=lambda: _fail_jobs(
                context,
                jobs,
                f"the render took longer than the hard limit of {settings.task_time_limit_s} s",
                outcome,
            ),
        ):
            started = time.monotonic()
            result = backend.render(requests)
            if context.metrics is not None:
                context.metrics.render_seconds.labels(settings.backend, str(len(requests))).observe(
                    time.monotonic() - started
                )
        _finish(context, backend, jobs, result, outcome)
    except TRANSIENT_ERRORS as exc:
        log.warning("transient error on jobs %s: %s", outcome.claimed, exc)
        _retry_or_fail(context, jobs, _short(exc), requeue, outcome)
    except SoftTimeLimitExceeded:
        _fail_jobs(
            context, jobs, f"the render took longer than {settings.task_soft_time_limit_s} s and was stopped", outcome
        )
    except AvatarError as exc:
        _fail_jobs(context, jobs, str(exc), outcome)
    except Exception:  # the one edge handler of the worker: log it with an id, store a short error
        error_id = secrets.token_hex(4)
        log.exception("internal error %s while rendering jobs %s", error_id, outcome.claimed)
        _fail_jobs(context, jobs, f"internal error (id {error_id})", outcome)
    return outcome


# -- requests -----------------------------------------------------------------


def _prepare(
    context: WorkerContext, jobs: Sequence[ClaimedJob], outcome: GenerateOutcome
) -> tuple[list[ClaimedJob], list[RenderRequest]]:
    """Build each job's requests (an animation has several); a job that cannot be rendered fails
    alone, the rest go on."""
    ready: list[ClaimedJob] = []
    requests: list[RenderRequest] = []
    for job in jobs:
        try:
            if job.kind == "animation":
                frames = animation_requests(job.spec, job.seed, _motion(job))
                if any(r.kind not in context.backend().kinds for r in frames):
                    raise GenerationFailed(f"the {context.settings.backend} model cannot draw animations")
                requests.extend(frames)
            else:
                requests.append(_render_request(context, job))
        except ImageStoreUnavailable:
            raise  # every job of the batch waits for the store, not this one alone
        except AvatarError as exc:
            _fail_jobs(context, [job], str(exc), outcome)
            continue
        ready.append(job)
    return ready, requests


def _motion(job: ClaimedJob) -> str:
    return str(_param(job.params, "motion", str, job))


def _render_request(context: WorkerContext, job: ClaimedJob) -> RenderRequest:
    params = job.params
    if job.kind in ("create", "reroll"):
        return RenderRequest(spec=job.spec, seed=job.seed, kind=job.kind)  # type: ignore[arg-type]
    if job.kind == "variation":
        return RenderRequest(
            spec=job.spec,
            seed=job.seed,
            kind="variation",
            strength=_param(params, "strength", float, job, required=False),
            variation_seed=_param(params, "variation_seed", int, job),
        )
    if job.kind == "mix":
        if job.mix_parent_id is None:
            raise GenerationFailed(f"mix job {job.id} names no second avatar")
        with context.session_factory() as session:
            other = repo.get_job(session, job.mix_parent_id)
            mix_with = MixSource(spec=parse_spec(dict(other.spec)), seed=int(other.seed))
        return RenderRequest(
            spec=job.spec,
            seed=job.seed,
            kind="mix",
            mix_with=mix_with,
            mix_ratio=_param(params, "mix_ratio", float, job, required=False),
        )
    if job.kind == "photo":
        if params.get("source_image_key") is None:
            # Read from a photo, drawn like a create: the photo itself was never kept.
            return RenderRequest(spec=job.spec, seed=job.seed, kind="create")
        key = _param(params, "source_image_key", str, job)
        try:
            init_image = context.image_store.open(key).convert("RGB")
        except ImageStoreUnavailable:
            raise
        except (OSError, NotFound) as exc:
            raise GenerationFailed(f"photo job {job.id}: the uploaded picture {key[:12]}… cannot be read") from exc
        return RenderRequest(
            spec=job.spec,
            seed=job.seed,
            kind="photo",
            strength=_param(params, "strength", float, job, required=False),
            init_image=init_image,
        )
    if job.kind in ("edit", "pack"):
        source = params.get("source_spec")
        if not isinstance(source, dict):
            raise GenerationFailed(f"{job.kind} job {job.id} is missing the original avatar's spec")
        return RenderRequest(
            spec=job.spec,
            seed=job.seed,
            kind=job.kind,  # type: ignore[arg-type]
            source_spec=parse_spec(source),
            shared_steps=_param(params, "shared_steps", int, job, required=False),
        )
    raise GenerationFailed(f"job {job.id} has an unknown kind {job.kind!r}")


def _param(params: dict[str, Any], name: str, kind: type, job: ClaimedJob, *, required: bool = True) -> Any:
    """A job parameter as `kind`; a missing optional one is None (the backend's default)."""
    if params.get(name) is None:
        if not required:
            return None
        raise GenerationFailed(f"{job.kind} job {job.id} is missing its {name!r} parameter")
    try:
        return kind(params[name])
    except (TypeError, ValueError) as exc:
        raise GenerationFailed(f"{job.kind} job {job.id} has a bad {name!r}: {params[name]!r}") from exc


# -- outcomes -----------------------------------------------------------------


def _finish(
    context: WorkerContext,
    backend: GeneratorBackend,
    jobs: Sequence[ClaimedJob],
    result: RenderResult,
    outcome: GenerateOutcome,
) -> None:
    pictures = _per_job(jobs, result)
    finished: list[tuple[int, str]] = []
    written: list[str] = []
    try:
        with context.session_factory() as session:
            # Checked and locked in the transaction that records the results: a job deleted
            # meanwhile gets no file, and a deletion waits for this commit (then sees the key).
            held = {job.id for job in _still_ours(context, session, jobs)}
            for job, (images, flagged) in zip(jobs, pictures, strict=True):
                if job.id not in held:
                    continue
                if job.kind == "animation":
                    key = context.image_store.put_bytes(
                        animation_png(images, job.spec, _motion(job), _metadata(job, backend))
                    )
                else:
                    key = context.image_store.put_image(images[0], _metadata(job, backend))
                written.append(key)
                row = repo.mark_done(
                    session, job.id, image_key=key, model_version=backend.model_version, flagged=flagged
                )
                finished.append((job.id, str(row.status)))
            session.commit()
    except BaseException:
        # Nothing was recorded, so no row names these files: they must not stay behind.
        _discard_unrecorded(context, written)
        raise
    _forget_uploads(context, jobs, {job_id for job_id, _ in finished})
    kinds = {job.id: job.kind for job in jobs}
    for job_id, status in finished:
        _publish(context, job_id, status)
        outcome.done.append(job_id)
        _record(context, job_id, kinds[job_id], status)


def _per_job(jobs: Sequence[ClaimedJob], result: RenderResult) -> list[tuple[list[Image.Image], bool]]:
    """The images of each job (an animation's drawings, in order) and whether any was flagged."""
    counts = [len(animation_requests(job.spec, job.seed, _motion(job))) if job.kind == "animation" else 1
              for job in jobs]
    if len(result.images) != sum(counts):
        raise GenerationFailed(f"the generator returned {len(result.images)} images for {sum(counts)} requests")
    grouped, start = [], 0
    for count in counts:
        grouped.append((list(result.images[start : start + count]), any(result.flagged[start : start + count])))
        start += count
    return grouped


def _metadata(job: ClaimedJob, backend: GeneratorBackend) -> dict[str, str]:
    return {
        "spec": job.spec.to_json(),
        "seed": str(job.seed),
        "kind": job.kind,
        "model": f"{backend.name} {backend.model_version}",
        "job_id": str(job.id),
    }


def _fail_jobs(context: WorkerContext, jobs: Sequence[ClaimedJob], error: str, outcome: GenerateOutcome) -> None:
    failed: list[ClaimedJob] = []
    with context.session_factory() as session:
        for job in _still_ours(context, session, jobs):
            repo.mark_failed(session, job.id, error)
            failed.append(job)
        session.commit()
    _forget_uploads(context, jobs, {job.id for job in failed})
    for job in failed:
        _publish(context, job.id, "failed")
        outcome.failed.append(job.id)
        _record(context, job.id, job.kind, "failed", error=error)


def _retry_or_fail(
    context: WorkerContext, jobs: Sequence[ClaimedJob], error: str, requeue: Requeue, outcome: GenerateOutcome
) -> None:
    settings = context.settings
    with context.session_factory() as session:
        held = _still_ours(context, session, jobs)
        give_up = [job for job in held if job.attempts >= settings.max_attempts]
        again = [job for job in held if job.attempts < settings.max_attempts]
        for job in give_up:
            repo.mark_failed(session, job.id, f"gave up after {job.attempts} attempts: {error}")
        for job in again:
            repo.release_job(session, job.id, error=error)
        session.commit()
    _forget_uploads(context, give_up, {job.id for job in give_up})  # the retried keep theirs for the next attempt
    for job in give_up:
        _publish(context, job.id, "failed")
        outcome.failed.append(job.id)
        _record(context, job.id, job.kind, "failed", error=error)
    for job in again:
        _record(context, job.id, job.kind, "retried", error=error)
    if again:
        attempts = max(job.attempts for job in again)
        requeue([job.id for job in again], retry_delay(settings.retry_backoff_s, attempts, settings.queued_lease_s))
        outcome.retried.extend(job.id for job in again)


def _forget_uploads(context: WorkerContext, jobs: Sequence[ClaimedJob], ended: Collection[int]) -> None:
    """Delete the uploaded photos of the photo jobs in `ended` (drawn, or failed for good): the
    photo was needed for this one drawing and is never kept with the avatar. The rows stop naming
    it first; a file another queued job still names (the same photo sent twice) stays for that job."""
    keys = {
        str(job.params["source_image_key"])
        for job in jobs
        if job.id in ended and job.kind == "photo" and job.params.get("source_image_key")
    }
    if not keys:
        return
    try:
        with context.session_factory() as session:
            repo.forget_source_images(session, [job.id for job in jobs if job.id in ended])
            session.commit()
            keys -= repo.image_keys_in_use(session, keys)
    except Exception as exc:  # the database may be what failed: the photo goes all the same
        log.warning("could not clear the uploaded photos of jobs %s (%s); deleting them anyway", sorted(ended), exc)
    for key in sorted(keys):
        try:
            context.image_store.delete(key)
        except OSError as exc:
            log.error("could not delete an uploaded photo %s…: %s", key[:12], exc)
    log.info("deleted %d uploaded photo(s) after drawing", len(keys))


def _discard_unrecorded(context: WorkerContext, keys: Sequence[str]) -> None:
    """Delete the stored pictures among `keys` that no avatar names (content addressing: a committed
    avatar may share a file, which then stays)."""
    if not keys:
        return
    try:
        with context.session_factory() as session:
            unused = sorted(set(keys) - repo.image_keys_in_use(session, keys))
    except Exception as exc:  # likely the very database failure that got us here: keeping a file is safe
        log.warning("could not check whether pictures %s are used (%s); keeping them", [k[:12] for k in keys], exc)
        return
    for key in unused:
        try:
            context.image_store.delete(key)
        except OSError as exc:  # only disk space is lost
            log.warning("could not delete unrecorded picture %s: %s", key[:12], exc)
    if unused:
        log.info("deleted %d picture(s) whose results were not recorded", len(unused))


def _still_ours(context: WorkerContext, session: Session, jobs: Sequence[ClaimedJob]) -> list[ClaimedJob]:
    """Lock, all at once and in id order, the jobs this worker still runs; returns those. A job
    may not be ours any more: its owner may have deleted it, the reconciler can hand the job of a
    worker it took for dead to another one, or the hard-limit watchdog may have failed it."""
    held = hold_jobs(session, [job.id for job in jobs], worker_id=context.worker_id)
    lost = [job.id for job in jobs if job.id not in held]
    existing = repo.job_statuses(session, lost)
    for job_id in lost:
        if job_id not in existing:
            # An owner's delete or forget-me while it rendered: ordinary, nothing to keep.
            log.info("job %s was deleted while it was being made; nothing is stored for it", job_id)
        else:
            log.warning("job %s is no longer this worker's (returned to the queue or finished); leaving it", job_id)
    return [job for job in jobs if job.id in held]


def _record(context: WorkerContext, job_id: int, kind: str, outcome: str, *, error: str = "") -> None:
    """One log line per job and outcome (with its id, for JSON logs), and the finished-jobs counter."""
    backend = context.settings.backend
    extra = {"job_id": job_id, "kind": kind, "outcome": outcome, "backend": backend}
    log.info("job %s (%s) %s%s", job_id, kind, outcome, f": {error}" if error else "", extra=extra)
    if context.metrics is not None:
        context.metrics.finished(kind, outcome)


def _seconds_between(start: Any, end: Any) -> Optional[float]:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def retry_delay(backoff_s: float, attempts: int, lease_s: float) -> float:
    """Exponential backoff, kept well inside the reconciler's lease so it never races the retry."""
    return float(min(backoff_s * 2 ** max(attempts - 1, 0), lease_s / 2))


def _publish(context: WorkerContext, job_id: int, status: str) -> None:
    try:
        context.notifier.publish(job_id, status)
    except OUTAGE_ERRORS as exc:  # the job is committed; the bot's sweep finds it in the database
        log.warning(
            "could not publish the notification for job %s (%s); the bot's sweep delivers it", job_id, outage_line(exc)
        )
    except Exception:  # the job is committed; a lost notification must not fail the task
        log.exception("could not publish the notification for job %s", job_id)


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
