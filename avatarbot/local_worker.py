"""A worker started by `avatarbot generate` when none is running (embedded default).

It is the real `avatarbot worker` in a child process, consuming the real
queue; it inherits this process's environment, so it reads the same
AVATARBOT_* settings. Its output goes to a log file under the data folder.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Optional

STOP_GRACE_S = 30.0


class LocalWorker:
    """A child `avatarbot worker` process that is stopped when the command ends."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path, log_file: IO[bytes]):
        self.process = process
        self.log_path = log_path
        self._log_file = log_file

    @classmethod
    def start(cls, log_path: Path) -> LocalWorker:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = log_path.open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "avatarbot", "worker"],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        return cls(process, log_path, log_file)

    def exit_code(self) -> Optional[int]:
        """None while it runs."""
        return self.process.poll()

    def stop(self) -> None:
        """Warm shutdown (SIGTERM lets the current task finish), then SIGKILL after a grace period."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            self._log_file.close()
