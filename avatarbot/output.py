"""The output folder of `avatarbot generate`: checked before any job exists, filled atomically.

Files are written into a hidden temporary folder next to (or inside) the
target and moved into place only when everything is written, so a failed or
interrupted run leaves nothing half-written behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from avatarbot.errors import UsageError


class OutputFolder:
    def __init__(self, target: Path, staging: Path):
        self.target = target
        self.staging = staging

    @classmethod
    def prepare(cls, target: Path) -> OutputFolder:
        """Check that `target` can be written and make the staging folder; UsageError if not."""
        target = target.expanduser().absolute()
        if target.exists() and not target.is_dir():
            raise UsageError(f"output folder {target} exists and is not a folder")
        anchor = target if target.exists() else _nearest_existing(target)
        if not anchor.is_dir():
            raise UsageError(f"cannot create output folder {target}: {anchor} is not a folder")
        if not os.access(anchor, os.W_OK | os.X_OK):
            raise UsageError(f"cannot write to output folder {target}: {anchor} is not writable")
        try:
            staging = Path(tempfile.mkdtemp(prefix=".avatarbot-", dir=anchor))
        except OSError as exc:
            raise UsageError(f"cannot write to output folder {target}: {exc.strerror or exc}") from exc
        return cls(target, staging)

    def path(self, name: str) -> Path:
        """Where to write `name` now (inside the staging folder)."""
        return self.staging / name

    def commit(self) -> list[Path]:
        """Move every staged file into the target folder; returns their final paths."""
        names = sorted(p.name for p in self.staging.iterdir())
        if not self.target.exists():
            self.target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging, self.target)
        else:
            for name in names:
                os.replace(self.staging / name, self.target / name)
            self.staging.rmdir()
        return [self.target / name for name in names]

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(path.anchor)
