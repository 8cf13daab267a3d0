"""Soft and hard time limits for a render, for pools where Celery enforces none.

The solo pool (the default: CUDA cannot be re-initialised in forked children)
runs each task inline in the worker's main thread and ignores Celery's time
limits. Here:
- the soft limit is a SIGALRM timer that raises SoftTimeLimitExceeded in the
  task (main thread only; elsewhere it is skipped), so the task can fail the
  job with a readable error;
- the hard limit is a watchdog thread: if the render is still going, it calls
  `on_hard_limit` (fail the jobs, say why) and then ends the process, as
  Celery's prefork pool would kill its child. The supervisor restarts it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Optional

from celery.exceptions import SoftTimeLimitExceeded

log = logging.getLogger(__name__)

HARD_LIMIT_EXIT_CODE = 70


@contextmanager
def time_limits(
    soft_s: float,
    hard_s: float,
    on_hard_limit: Optional[Callable[[], None]] = None,
    *,
    exit_process: Callable[[int], None] = os._exit,
) -> Iterator[None]:
    """Raise SoftTimeLimitExceeded after soft_s; end the process after hard_s."""
    use_alarm = threading.current_thread() is threading.main_thread()
    previous_handler = None
    if use_alarm:

        def _soft(signum: int, frame: object) -> None:
            raise SoftTimeLimitExceeded(f"soft time limit of {soft_s:g} s exceeded")

        previous_handler = signal.signal(signal.SIGALRM, _soft)
        signal.setitimer(signal.ITIMER_REAL, soft_s)

    finished = threading.Event()

    def _watchdog() -> None:
        if finished.wait(hard_s):
            return
        log.critical("render exceeded the hard time limit of %g s; stopping this worker process", hard_s)
        try:
            if on_hard_limit is not None:
                on_hard_limit()
        except Exception:  # the process is ending either way; record why it could not clean up
            log.exception("could not record the hard time limit on the jobs")
        exit_process(HARD_LIMIT_EXIT_CODE)

    watchdog = threading.Thread(target=_watchdog, name="hard-time-limit", daemon=True)
    watchdog.start()
    try:
        yield
    finally:
        finished.set()
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
