"""The image store's interface: content-addressed PNGs with their metadata.

A key is the sha256 hex digest of the file's bytes. Keys are checked before any path or object
name is built, so a key from a button, a database row or a user can never name something outside
the store. Each PNG carries its generation metadata (spec, seed, model) and an "AI-generated"
marker in text chunks, so a file keeps its story when shared; a store keeps the bytes as they are,
so the metadata survives byte for byte.

Two stores implement it: `LocalImageStore` (core/local_images.py, one folder: the embedded default)
and `S3ImageStore` (core/s3_images.py, an S3-compatible bucket: bot and workers on different hosts).
Entry points build the configured one with `core.image_stores.make_image_store(settings)`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from PIL import Image, PngImagePlugin

from core.errors import InvalidImageKey

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


def key_of(data: bytes) -> str:
    """The content address of `data`."""
    return hashlib.sha256(data).hexdigest()


def sharded_name(key: str) -> str:
    """`ab/cd/<key>.png`: the key's place below a store's root (folder or bucket prefix)."""
    check_key(key)
    return f"{key[:2]}/{key[2:4]}/{key}.png"


class ImageStore(ABC):
    """PNG bytes named by their sha256. Subclasses say where bytes live; the PNG work is here."""

    # -- where the bytes live (one implementation per backend) --------------------------------

    @abstractmethod
    def _write_new(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (its sha256) so readers see all of it or nothing."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes:
        """The stored bytes; NotFound when the key is not in the store."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove a stored image; False if it was not there."""

    @abstractmethod
    def check(self) -> None:
        """Return when the store can be reached; raise with a readable reason when not (/healthz)."""

    # -- shared ----------------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> str:
        """Store PNG bytes as they are; returns their key. The same bytes twice give one stored copy."""
        key = key_of(data)
        if not self.exists(key):
            self._write_new(key, data)
        return key

    def put_image(self, image: Image.Image, metadata: Mapping[str, Any], *, ai_generated: bool = True) -> str:
        """Store `image` as a PNG with `metadata` in text chunks; returns its key.

        Non-string metadata values are stored as JSON. `ai_generated=False` is for
        pictures people uploaded (a photo job's source), which must not carry the marker.
        Storing the same picture with the same metadata twice gives the same key and one file.
        """
        return self.put_bytes(encode_png(image, metadata, ai_generated=ai_generated))

    def open(self, key: str) -> Image.Image:
        """The stored picture, fully loaded."""
        with Image.open(io.BytesIO(self.read_bytes(key))) as image:
            image.load()
            return image.copy()

    def read_metadata(self, key: str) -> dict[str, str]:
        """The PNG text chunks of a stored image (spec, seed, model, ai_generated, Software, ...)."""
        with Image.open(io.BytesIO(self.read_bytes(key))) as image:
            image.load()
            text = getattr(image, "text", {})
            return {str(k): str(v) for k, v in text.items()}


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
