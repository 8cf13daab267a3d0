"""The image store: content-addressed PNG files under one folder.

A key is the sha256 hex digest of the file's bytes, and the file lives at
`<root>/ab/cd/<key>.png`. Keys are checked before any path is built, so a key
from a button, a database row or a user can never name a file outside the root.
Each PNG carries its generation metadata (spec, seed, model) and an
"AI-generated" marker in text chunks, so a file keeps its story when shared.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from core.errors import InvalidImageKey, NotFound

SOFTWARE = "avatarbot"
AI_GENERATED_KEY = "ai_generated"
_KEY = re.compile(r"[0-9a-f]{64}")
# Modes a PNG can hold as they are; anything else is converted to RGB(A) first.
_PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}


def check_key(key: object) -> str:
    """Return `key` if it is a valid image key (64 lowercase hex characters), else raise InvalidImageKey."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        shown = repr(key) if len(repr(key)) <= 80 else repr(key)[:77] + "..."
        raise InvalidImageKey(f"{shown} is not an image key (expected 64 lowercase hex characters)")
    return key


class ImageStore:
    """PNG files named by the sha256 of their bytes, sharded into two folder levels."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"ImageStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """Where the file for `key` is (or would be). Raises InvalidImageKey for a malformed key."""
        check_key(key)
        return self.root / key[:2] / key[2:4] / f"{key}.png"

    def put_image(self, image: Image.Image, metadata: Mapping[str, Any], *, ai_generated: bool = True) -> str:
        """Store `image` as a PNG with `metadata` in text chunks; returns its key.

        Non-string metadata values are stored as JSON. `ai_generated=False` is for
        pictures people uploaded (a photo job's source), which must not carry the marker.
        Storing the same picture with the same metadata twice gives the same key and one file.
        """
        data = encode_png(image, metadata, ai_generated=ai_generated)
        key = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if not target.exists():
            _write_atomically(target, data)
        return key

    def put_bytes(self, data: bytes) -> str:
        """Store ready-made PNG bytes (an animated PNG); returns its key."""
        key = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if not target.exists():
            _write_atomically(target, data)
        return key

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"image {key} is not in the store (it may have been deleted)") from None

    def open(self, key: str) -> Image.Image:
        """The stored picture, fully loaded (the file is closed again)."""
        with Image.open(io.BytesIO(self.read_bytes(key))) as image:
            image.load()
            return image.copy()

    def read_metadata(self, key: str) -> dict[str, str]:
        """The PNG text chunks of a stored image (spec, seed, model, ai_generated, Software, ...)."""
        with Image.open(io.BytesIO(self.read_bytes(key))) as image:
            image.load()
            text = getattr(image, "text", {})
            return {str(k): str(v) for k, v in text.items()}

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> bool:
        """Remove a stored image; False if it was not there."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True


def encode_png(image: Image.Image, metadata: Mapping[str, Any], *, ai_generated: bool = True) -> bytes:
    """PNG bytes of `image` with `metadata` (and the store's own markers) as text chunks."""
    if image.mode not in _PNG_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=png_info(metadata, ai_generated=ai_generated))
    return buffer.getvalue()


def png_info(metadata: Mapping[str, Any], *, ai_generated: bool = True) -> PngImagePlugin.PngInfo:
    """The text chunks of a stored picture: `metadata` and the store's own markers."""
    info = PngImagePlugin.PngInfo()
    for name, value in metadata.items():
        if name in (AI_GENERATED_KEY, "Software"):
            continue  # the store's markers are not up to the caller
        # add_text falls back to an iTXt chunk for text that Latin-1 cannot hold.
        info.add_text(str(name), value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    if ai_generated:
        info.add_text(AI_GENERATED_KEY, "true")
    info.add_text("Software", SOFTWARE)
    return info


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
