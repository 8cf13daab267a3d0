"""Soft and hard time limits for the solo pool (where Celery enforces none)."""

from __future__ import annotations

import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from generator.time_limits import HARD_LIMIT_EXIT_CODE, time_limits


def test_soft_limit_interrupts_the_render() -> None:
    started = time.monotonic()
    with pytest.raises(SoftTimeLimitExceeded, match="soft time limit of 0.2 s"):
        with time_limits(0.2, 30):
            time.sleep(5)
    assert time.monotonic() - started < 2


def test_hard_limit_records_why_then_ends_the_process() -> None:
    events: list[object] = []
    exited = threading.Event()

    def fake_exit(code: int) -> None:
        events.append(code)
        exited.set()

    # Off the main thread there is no SIGALRM: only the watchdog acts, as in a stuck native call.
    def render() -> None:
        with time_limits(10, 0.2, on_hard_limit=lambda: events.append("failed the jobs"), exit_process=fake_exit):
            exited.wait(5)

    worker = threading.Thread(target=render)
    worker.start()
    worker.join(10)
    assert events == ["failed the jobs", HARD_LIMIT_EXIT_CODE]


def test_a_quick_render_triggers_neither_limit() -> None:
    calls: list[int] = []
    with time_limits(0.3, 0.4, on_hard_limit=lambda: calls.append(1), exit_process=calls.append):
        pass
    time.sleep(0.6)
    assert calls == []
