"""The embedded default image store: content-addressed PNG files under one folder,
`<root>/ab/cd/<key>.png`, written atomically (a reader sees no file or the whole file)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from core.errors import NotFound
from core.images import ImageStore, sharded_name


class LocalImageStore(ImageStore):
    """PNG files named by the sha256 of their bytes, sharded into two folder levels."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalImageStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """Where the file for `key` is (or would be). Raises InvalidImageKey for a malformed key."""
        return self.root / sharded_name(key)

    def _write_new(self, key: str, data: bytes) -> None:
        _write_atomically(self.path(key), data)

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"image {key} is not in the store (it may have been deleted)") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def check(self) -> None:
        if not self.root.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)  # a fresh store has no folder yet
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"the image folder {self.root} cannot be written")


def _write_atomically(target: Path, data: bytes) -> None:
    """Readers see either no file or the whole file, never a half-written one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
