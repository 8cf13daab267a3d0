"""Jobs through a real broker to real `avatarbot worker` processes, on both stacks.

Each stack (Redis + PostgreSQL, and the embedded filesystem broker + SQLite) has
two worker processes rendering with tiny random weights.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from core.db.models import JobStatus
from core.dispatch import enqueue_generate, make_producer
from core.image_stores import make_image_store
from core.images import AI_GENERATED_KEY
from tests.integration.conftest import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _claims(stack: Stack, job_ids: list[int]) -> Counter[int]:
    wanted = set(job_ids)
    return Counter(job_id for worker in stack.workers for job_id in worker.claimed_job_ids() if job_id in wanted)


def test_twenty_jobs_are_each_done_exactly_once(stack: Stack) -> None:
    job_ids = stack.create_jobs(20, first_seed=1000, hair="long")
    stack.dispatch(job_ids)

    rows = stack.wait_finished(job_ids, timeout_s=180)

    store = make_image_store(stack.settings)
    worker_ids = {worker.worker_id for worker in stack.workers}
    for row in rows:
        assert row.status == JobStatus.DONE, (row.id, row.status, row.error)
        assert row.attempts == 1
        assert row.error is None
        assert row.worker_id in worker_ids
        assert row.enqueued_at is not None and row.started_at is not None and row.finished_at is not None
        assert row.queued_at <= row.started_at <= row.finished_at
        assert row.model_version and len(row.model_version) == 12
        assert store.exists(row.image_key)
        metadata = store.read_metadata(row.image_key)
        assert metadata["job_id"] == str(row.id)
        assert metadata["seed"] == str(row.seed)
        assert metadata[AI_GENERATED_KEY] == "true"
    # Distinct seeds give distinct images: one file per job.
    assert len({row.image_key for row in rows}) == 20
    # Each job was claimed (and so rendered) exactly once, across both workers.
    assert _claims(stack, job_ids) == Counter({job_id: 1 for job_id in job_ids})


def test_workers_racing_for_the_same_jobs_render_each_once(stack: Stack) -> None:
    job_ids = stack.create_jobs(6, first_seed=2000, expression="happy")
    stack.dispatch(job_ids)
    # Duplicate messages (as a redelivery or a second reconciler would send): both idle workers
    # get one for the same job at the same time.
    producer = make_producer(stack.settings)
    try:
        enqueue_generate(producer, job_ids, stack.settings.queue_name)
    finally:
        producer.close()

    rows = stack.wait_finished(job_ids, timeout_s=120)

    assert all(row.status == JobStatus.DONE and row.attempts == 1 for row in rows)
    assert _claims(stack, job_ids) == Counter({job_id: 1 for job_id in job_ids})
    # Every duplicate reached a worker and was turned away by the claim.
    deadline = time.monotonic() + 30
    while True:
        logs = [worker.log_text() for worker in stack.workers]
        skipped = sum(log.count(f"job {job_id} is no longer queued") for log in logs for job_id in job_ids)
        if skipped >= len(job_ids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert skipped == len(job_ids)


def test_reconcile_command_recovers_a_lost_message(stack: Stack) -> None:
    # The row is committed but its message never reaches the broker (a crash between the two).
    [job_id] = stack.create_jobs(1, first_seed=3000)
    time.sleep(stack.settings.queued_lease_s + 0.5)

    result = stack.run_cli("reconcile")

    assert result.returncode == 0, result.stderr
    assert f"re-sent 1 queued job(s) whose message was lost ({job_id})" in result.stdout
    [row] = stack.wait_finished([job_id], timeout_s=60)
    assert row.status == JobStatus.DONE and row.attempts == 1
    # A second round finds nothing to do.
    again = stack.run_cli("reconcile")
    assert "re-sent 0 queued job(s)" in again.stdout
