"""Helpers for tests that interleave transactions: run one in a thread, stop it before a chosen
statement, and see when it waits for a lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Optional

from sqlalchemy import Engine, event, text

# Statements that take the write lock (SQLite) or row locks (PostgreSQL). WITH: this project's only
# statement that starts with one is a locking UPDATE (claim_jobs).
_WRITING = ("UPDATE", "DELETE", "INSERT", "WITH")
_LOCKING = ("FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE")


def waits_for_a_lock(engine: Engine) -> bool:
    """PostgreSQL: some session of this database waits for a lock (row locks included)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as connection:
        return bool(connection.scalar(query))


def wait_until_blocked(engine: Engine, racer: Racer, timeout_s: float = 20.0) -> None:
    """Until `racer` has finished or is stuck on a lock.

    PostgreSQL shows a lock wait; SQLite's busy wait for its write lock cannot be seen, so there it
    is enough that the racer has sent its first writing statement (which cannot pass the lock).
    """
    assert racer.writing.wait(timeout_s), f"{racer.name} never tried to write"
    if engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + timeout_s
    while not racer.done.is_set() and not waits_for_a_lock(engine):
        assert time.monotonic() < deadline, f"{racer.name} neither finished nor waited for a lock"
        time.sleep(0.02)


class Race:
    """Transactions run in threads on one engine (a context manager: it listens to the engine's
    statements while open). One listener serves every racer: SQLAlchemy must not see listeners
    added or removed while a paused racer is inside one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._racers: dict[threading.Thread, Racer] = {}

    def __enter__(self) -> Race:
        event.listen(self.engine, "before_cursor_execute", self._on_statement)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for racer in self._racers.values():
            racer.join()
        event.remove(self.engine, "before_cursor_execute", self._on_statement)

    def start(self, action: Callable[[], None], *, name: str, pause_before: Optional[str] = None) -> Racer:
        """Run `action` in a thread of its own; with `pause_before` (the start of an SQL statement,
        e.g. "DELETE FROM users") it stops right before sending that statement until go()."""
        racer = Racer(action, name=name, pause_before=pause_before)
        self._racers[racer.thread] = racer
        racer.thread.start()
        return racer

    def _on_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        racer = self._racers.get(threading.current_thread())
        if racer is not None:
            racer.on_statement(statement)


class Racer:
    """One transaction of a Race. `writing` is set when it sends its first writing or locking
    statement, `done` when it ends; join() waits for it and returns what it raised (None if nothing)."""

    def __init__(self, action: Callable[[], None], *, name: str, pause_before: Optional[str]) -> None:
        self.action = action
        self.name = name
        self.pause_before = pause_before.upper() if pause_before else None
        self.writing = threading.Event()
        self.paused = threading.Event()
        self.done = threading.Event()
        self.error: Optional[BaseException] = None
        self._go = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def wait_paused(self, timeout_s: float = 20.0) -> None:
        assert self.paused.wait(timeout_s), f"{self.name} never reached {self.pause_before!r}"

    def go(self) -> None:
        self._go.set()

    def join(self, timeout_s: float = 40.0) -> Optional[BaseException]:
        self._go.set()
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), f"{self.name} did not finish"
        return self.error

    def on_statement(self, statement: str) -> None:
        words = statement.lstrip().upper()
        if self.pause_before and words.startswith(self.pause_before) and not self.paused.is_set():
            self.paused.set()
            assert self._go.wait(30), f"{self.name} was never let go"
        if words.startswith(_WRITING) or any(clause in words for clause in _LOCKING):
            self.writing.set()

    def _run(self) -> None:
        try:
            self.action()
        except BaseException as exc:  # handed to the test by join()
            self.error = exc
        finally:
            self.writing.set()
            self.done.set()
