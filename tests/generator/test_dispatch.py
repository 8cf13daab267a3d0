"""The broker contract: one configuration for producers and workers, messages sent by name."""

from __future__ import annotations

import json
from pathlib import Path

from core.db import repositories as repo
from core.dispatch import (
    GENERATE_TASK,
    celery_config,
    dispatch_jobs,
    enqueue_generate,
    filesystem_queue_dir,
    make_producer,
)
from core.settings import Settings
from core.spec import parse_spec
from generator.reconcile import job_id_of_message


def test_filesystem_config_is_shared_and_safe_for_redelivery(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    config = celery_config(settings)
    assert config["broker_url"] == "filesystem://"
    options = config["broker_transport_options"]
    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path.resolve() / "broker" / "queue")
    assert options["polling_interval"] <= 0.1
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert config["task_serializer"] == "json" and config["accept_content"] == ["json"]
    assert config["task_routes"][GENERATE_TASK] == {"queue": "avatars.builtin"}
    assert config["worker_enable_remote_control"] is False


def test_redis_config_sets_the_visibility_timeout_above_the_longest_render() -> None:
    settings = Settings(broker_url="redis://127.0.0.1:6379/3", visibility_timeout_s=7200, backend="stable-diffusion")
    config = celery_config(settings)
    assert config["broker_url"] == "redis://127.0.0.1:6379/3"
    assert config["broker_transport_options"] == {"visibility_timeout": 7200}
    assert config["broker_transport_options"]["visibility_timeout"] > settings.task_time_limit_s
    assert config["task_default_queue"] == "avatars.stable-diffusion"


def test_enqueue_sends_the_task_by_name_with_the_job_id(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    producer = make_producer(settings)
    try:
        enqueue_generate(producer, [5, 6], settings.queue_name)
    finally:
        producer.close()
    files = sorted(filesystem_queue_dir(settings).glob("*.avatars.builtin.msg"))
    payloads = [json.loads(path.read_bytes()) for path in files]
    assert [p["headers"]["task"] for p in payloads] == [GENERATE_TASK, GENERATE_TASK]
    assert sorted(job_id_of_message(p) for p in payloads) == [5, 6]


def test_dispatch_marks_enqueued_after_the_jobs_exist(tmp_path: Path, migrated_sqlite_url: str) -> None:
    from core.db.engine import make_engine, make_session_factory

    settings = Settings(data_dir=tmp_path, database_url=migrated_sqlite_url)
    engine = make_engine(migrated_sqlite_url)
    session_factory = make_session_factory(engine)
    with session_factory() as session:
        [row] = repo.create_jobs(session, owner_id=1, spec=parse_spec({}), seeds=[1], backend="builtin")
        session.commit()
        job_id = row.id
    producer = make_producer(settings)
    try:
        with session_factory() as session:
            dispatch_jobs(producer, session, [job_id], settings.queue_name)
    finally:
        producer.close()
    with session_factory() as session:
        assert repo.get_job(session, job_id).enqueued_at is not None
    assert len(list(filesystem_queue_dir(settings).glob("*.msg"))) == 1
    engine.dispose()


def test_filesystem_transport_puts_unacknowledged_messages_back_on_a_clean_close(tmp_path: Path) -> None:
    # What core.dispatch documents: a taken message leaves the folder and lives in the consumer's
    # memory until acknowledged; a clean close restores it (a SIGKILL would lose it instead, which
    # is why the reconciler exists; see tests/integration/test_crash.py).
    settings = Settings(data_dir=tmp_path)
    producer = make_producer(settings)
    consumer = make_producer(settings)
    try:
        enqueue_generate(producer, [21], settings.queue_name)
        folder = filesystem_queue_dir(settings)
        connection = consumer.connection_for_read()
        message = connection.default_channel.basic_get(settings.queue_name, no_ack=False)
        assert message is not None and message.headers["task"] == GENERATE_TASK
        assert list(folder.glob("*.msg")) == []
        connection.close()
        [restored] = folder.glob("*.msg")
        assert job_id_of_message(json.loads(restored.read_bytes())) == 21
    finally:
        producer.close()
        consumer.close()
