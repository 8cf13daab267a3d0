"""kill -9 of a worker while it renders: another worker re-runs the job, and it finishes once.

The killed worker's heartbeat stops; the rescuing worker's periodic reconciler
sees the job running on a dead worker, puts it back in the queue and re-sends
it. On Redis the dead worker's unacknowledged message also stays in the
`unacked` hash (redelivered after the visibility timeout, then turned away by
the claim); on the filesystem transport it died with the process.
"""

from __future__ import annotations

import time

import pytest

from core.db import repositories as repo
from core.db.models import JobStatus
from tests.integration.conftest import INTEGRATION_REDIS_DB, Stack, WorkerProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Enough denoising steps on the tiny model that the render is still going when it is killed.
SLOW_STEPS = 1000  # the most the built-in backend allows: ~10 s on the tiny model


def _wait_rendering(stack: Stack, worker: WorkerProcess, job_id: int, timeout_s: float = 120.0) -> None:
    """Until `worker` has claimed the job, loaded its model and started the render."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        [row] = stack.jobs([job_id])
        mine = row.status == JobStatus.RUNNING and row.worker_id == worker.worker_id
        if mine and "loaded builtin" in worker.log_text():
            return
        assert row.status in (JobStatus.QUEUED, JobStatus.RUNNING), (row.status, row.error)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never started rendering:\n{worker.log_text()[-3000:]}")


@pytest.mark.parametrize("kind", ["redis+postgres", "filesystem+sqlite"])
def test_killed_worker_job_is_rerun_by_another_and_finishes_once(kind: str, request: pytest.FixtureRequest) -> None:
    overrides = {"reconcile_every_s": "1"}
    if kind == "redis+postgres":
        stack: Stack = request.getfixturevalue("make_redis_stack")(redis_db=INTEGRATION_REDIS_DB + 1, **overrides)
    else:
        stack = request.getfixturevalue("make_embedded_stack")(**overrides)
    doomed = stack.start_worker(num_inference_steps=str(SLOW_STEPS))
    doomed.wait_registered(stack.session_factory)
    doomed.wait_consuming()
    [job_id] = stack.create_jobs(1, first_seed=4000)
    stack.dispatch([job_id])
    _wait_rendering(stack, doomed, job_id)
    time.sleep(0.5)

    doomed.kill9()
    rescuer = stack.start_worker()
    rescuer_id = rescuer.wait_registered(stack.session_factory)

    [row] = stack.wait_finished([job_id], timeout_s=120)

    assert row.status == JobStatus.DONE, row.error
    assert row.attempts == 2 and row.worker_id == rescuer_id
    assert doomed.claimed_job_ids() == [job_id] and rescuer.claimed_job_ids() == [job_id]
    assert "returned 1 job(s) from dead workers" in rescuer.log_text()
    # A clean shutdown removes the worker's row; the killed worker's row is left to go stale.
    assert rescuer.stop() == 0
    with stack.session_factory() as session:
        remaining = {worker.id for worker in repo.live_workers(session, dead_after_s=3600)}
    assert rescuer_id not in remaining and doomed.worker_id in remaining
