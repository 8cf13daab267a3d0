"""A Redis restart during a task: what the worker logs is one WARNING line per event, no traceback."""

from __future__ import annotations

import logging

import pytest
import redis.exceptions
from kombu.message import Message

from generator.outages import AckAfterOutage, install_outage_filters


class _DroppedChannel:
    no_ack_consumers = None

    def basic_ack(self, delivery_tag, multiple=False):
        raise redis.exceptions.ConnectionError("Connection closed by server.")


@pytest.fixture
def request_logger():
    logger = logging.getLogger("celery.worker.request")
    yield logger
    for f in [f for f in logger.filters if isinstance(f, AckAfterOutage)]:
        logger.removeFilter(f)


def test_an_ack_lost_to_a_redis_restart_is_a_warning_line(caplog, request_logger) -> None:
    install_outage_filters()
    message = Message(body=b"{}", delivery_tag="a1b2", channel=_DroppedChannel())
    with caplog.at_level(logging.INFO, logger="celery.worker.request"):
        message.ack_log_error(request_logger, (redis.exceptions.ConnectionError,))
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "could not acknowledge message a1b2 after a broker outage (ConnectionError" in record.getMessage()
    assert "Couldn't ack" not in caplog.text and "Traceback" not in caplog.text


def test_without_the_filter_kombu_logs_critical_with_a_traceback(caplog, request_logger) -> None:
    message = Message(body=b"{}", delivery_tag="a1b2", channel=_DroppedChannel())
    with caplog.at_level(logging.INFO, logger="celery.worker.request"):
        message.ack_log_error(request_logger, (redis.exceptions.ConnectionError,))
    [record] = caplog.records
    assert record.levelno == logging.CRITICAL and record.exc_info is not None  # what the filter is for


def test_a_notification_lost_to_a_redis_restart_is_a_warning_line(caplog) -> None:
    from types import SimpleNamespace

    from generator.tasks import _publish

    class DownNotifier:
        def publish(self, job_id, status):
            raise redis.exceptions.ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    with caplog.at_level(logging.INFO, logger="generator.tasks"):
        _publish(SimpleNamespace(notifier=DownNotifier()), 17, "done")  # type: ignore[arg-type]
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "job 17" in record.getMessage() and "Connection refused" in record.getMessage()
