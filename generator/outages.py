"""How the worker reports an outage it recovers from (the database, Redis or the broker going away for
a while): one WARNING line, never a traceback or a CRITICAL.

- OUTAGE_ERRORS are the exceptions such an outage raises; the heartbeat and reconciler threads and the
  notification publisher log them as one line and go on (the next round, or the database, catches up).
- AckAfterOutage rewrites kombu's CRITICAL "Couldn't ack ..." record (with its traceback), logged by
  Celery when a message cannot be acknowledged because the broker connection dropped during the task.
  Nothing is lost then: the job is already recorded in the database, Redis redelivers the
  unacknowledged message after the visibility timeout, and the atomic claim makes that a no-op.
"""

from __future__ import annotations

import logging

import redis.exceptions
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy.exc import OperationalError as DatabaseOperationalError

from core.errors import BrokerUnavailable

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseOperationalError,
    KombuOperationalError,
    BrokerUnavailable,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)

# The loggers Celery passes to kombu's Message.ack_log_error / reject_log_error.
ACK_LOGGERS = ("celery.worker.request", "celery.worker.consumer.consumer")


def outage_line(exc: BaseException) -> str:
    """`Type: first line of the message`, for a one-line warning."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else 'no details'}"


class AckAfterOutage(logging.Filter):
    """Turns "Couldn't ack/reject" CRITICAL records with a traceback into one WARNING line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if record.levelno >= logging.CRITICAL and message.startswith(("Couldn't ack", "Couldn't reject")):
            reason = outage_line(record.exc_info[1]) if record.exc_info and record.exc_info[1] else "connection lost"
            tag = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            verb = "acknowledge" if message.startswith("Couldn't ack") else "reject"
            record.msg = (
                "could not %s message %s after a broker outage (%s); the broker redelivers it and the job's "
                "claim keeps it from being rendered twice"
            )
            record.args = (verb, tag, reason)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def install_outage_filters() -> None:
    """Called once by the worker's entry point."""
    for name in ACK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, AckAfterOutage) for f in logger.filters):
            logger.addFilter(AckAfterOutage())
