"""The worker's metrics, read back from the registry it was given (prometheus_client's own parser)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from core.errors import GenerationFailed
from generator.metrics import WorkerMetrics
from generator.tasks import run_generate
from tests.generator.test_tasks import ScriptedBackend, create, make_context, no_requeue
from tests.prometheus_samples import samples


def test_a_batch_counts_its_jobs_render_time_wait_and_load(session_factory, image_store) -> None:
    registry = CollectorRegistry()
    context = make_context(session_factory, image_store, ScriptedBackend(), batch_size=3)
    context.metrics = WorkerMetrics(registry, backend="builtin")
    first, *_ = create(session_factory, 3)

    run_generate(context, first, requeue=no_requeue)
    context.heartbeat()

    found = samples(registry)
    done = ("avatarbot_worker_jobs_finished_total", (("backend", "builtin"), ("kind", "create"), ("outcome", "done")))
    assert found[done] == 3
    render = ("avatarbot_worker_render_seconds_count", (("backend", "builtin"), ("batch_size", "3")))
    assert found[render] == 1
    assert found[("avatarbot_worker_queue_wait_seconds_count", (("backend", "builtin"),))] == 3
    assert found[("avatarbot_worker_batch_size", (("backend", "builtin"),))] == 0  # idle again
    assert found[("avatarbot_worker_model_load_seconds", (("backend", "builtin"),))] >= 0
    assert 0 <= found[("avatarbot_worker_heartbeat_age_seconds", ())] < 5


def test_a_failed_job_is_counted_as_failed(session_factory, image_store) -> None:
    registry = CollectorRegistry()
    context = make_context(session_factory, image_store, ScriptedBackend(GenerationFailed("no")))
    context.metrics = WorkerMetrics(registry, backend="builtin")
    [job_id] = create(session_factory)

    run_generate(context, job_id, requeue=no_requeue)

    labels = (("backend", "builtin"), ("kind", "create"), ("outcome", "failed"))
    failed = ("avatarbot_worker_jobs_finished_total", labels)
    assert samples(registry)[failed] == 1


def test_two_workers_in_one_process_do_not_share_metrics() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    WorkerMetrics(first, backend="builtin").finished("create", "done")
    WorkerMetrics(second, backend="builtin")
    assert "outcome=\"done\"" in generate_latest(first).decode()
    assert "outcome=\"done\"" not in generate_latest(second).decode()
