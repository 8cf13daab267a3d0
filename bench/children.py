"""Child processes a benchmark starts, stopped however the benchmark ends.

Each child starts in a session of its own, so it leads its own process group: the group is
signalled as a whole, so the child's own children go down with it, and a Ctrl-C in the
terminal reaches only the benchmark (which then stops its children itself, in order).

While a `ChildProcesses` is open as a context manager, SIGTERM and SIGINT signal every child
at once and then become exceptions (SystemExit, KeyboardInterrupt), so each `finally` on the
way out still runs; leaving the block (normally, by an exception or by a signal) stops every
child: SIGTERM to its group, a grace period, then SIGKILL. Only `kill -9` of the benchmark
itself escapes this.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Optional

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ChildProcesses:
    """Starts children in their own process groups and stops them all when the block ends."""

    def __init__(self, *, grace_s: float = 30.0) -> None:
        self.grace_s = grace_s
        self._children: list[subprocess.Popen[bytes]] = []
        self._previous: dict[int, Any] = {}
        self._stopped_by: Optional[int] = None

    def start(self, argv: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[bytes]:
        """Popen(argv, **popen_kwargs) in a new session (its own process group), tracked for stop()."""
        process: subprocess.Popen[bytes] = subprocess.Popen(list(argv), start_new_session=True, **popen_kwargs)
        self._children.append(process)
        return process

    def start_logged(self, argv: Sequence[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """start() with no stdin and stdout + stderr appended to `log_path` (a worker's log)."""
        with log_path.open("ab") as log:  # the child keeps its own copy
            return self.start(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def run(self, argv: Sequence[str], **popen_kwargs: Any) -> None:
        """Run a child to the end, like subprocess.run(check=True), but stoppable like the others."""
        process = self.start(argv, **popen_kwargs)
        code = process.wait()
        if code != 0:
            raise subprocess.CalledProcessError(code, list(argv))

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self._children]

    def signal_all(self, signum: int) -> None:
        """Send `signum` to every child's process group (those already gone are skipped)."""
        for child in self._children:
            _signal_group(child.pid, signum)

    def stop(self) -> None:
        """SIGTERM every group, wait up to the grace period, then SIGKILL what is left of each group.

        The children are then forgotten: a later stop() (a benchmark may stop one worker before
        starting the next) must not signal their pids, which the system may have reused.
        """
        self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for child in self._children:
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        # A child that ignored SIGTERM, or grandchildren its exit left behind.
        self.signal_all(signal.SIGKILL)
        for child in self._children:
            child.wait()
        self._children.clear()

    def __enter__(self) -> ChildProcesses:
        # Signal handlers can only be set from the main thread; elsewhere the block still stops
        # the children on exceptions.
        if threading.current_thread() is threading.main_thread():
            for signum in HANDLED_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        try:
            # A second Ctrl-C must not cut the clean-up short (it is bounded by the grace period).
            for signum in self._previous:
                signal.signal(signum, signal.SIG_IGN)
            self.stop()
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)
            self._previous.clear()
        # The signal's exception can surface wrapped (raised inside an import, Python reports a
        # RuntimeError): end the way the signal asked, whatever the unwinding turned it into.
        if self._stopped_by == signal.SIGINT and not isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        if self._stopped_by is not None and self._stopped_by != signal.SIGINT:
            wanted = 128 + self._stopped_by
            if not (isinstance(exc, SystemExit) and exc.code == wanted):
                raise SystemExit(wanted) from exc

    def _on_signal(self, signum: int, frame: Optional[FrameType]) -> None:
        # Tell the children first: the unwinding below may be slow (closing a bot, a session).
        self._stopped_by = signum
        self.signal_all(signal.SIGTERM)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)  # the child leads its own group, so the group id is its pid
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is gone already
