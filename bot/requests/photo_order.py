"""Reading the photo of /avatar photo where it arrives, before any job exists.

The upload is checked (core.uploads), read (photo.PhotoReader) and turned into a spec: the
attributes read, overridden by what the person chose. Synchronous and CPU-bound: the handler runs
it with `asyncio.to_thread`. The photo is never written anywhere, posted or logged; the order keeps
the picture only for a backend that repaints it (Stable Diffusion's image-to-image), and the
worker deletes that copy as soon as the avatar is drawn.

No face or several faces is a Refusal in the person's language, so no job is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from PIL import Image

from bot.replies.errors import Refusal
from core.spec import AvatarSpec
from core.uploads import open_upload
from photo import NoFace, PhotoReader, SeveralFaces, reading_to_spec

# Backends that draw from the photo itself (image-to-image) and so need it in the worker.
REPAINTING_BACKENDS = frozenset({"stable-diffusion"})


@dataclass(frozen=True)
class PhotoOrder:
    """What a photo asks for: the spec to draw and what was read (no pixels); the cleaned picture
    only when the backend repaints it."""

    spec: AvatarSpec
    read: dict[str, str]
    confidence: dict[str, float]
    picture: Optional[Image.Image] = field(default=None, repr=False, compare=False)

    @property
    def repaint(self) -> bool:
        return self.picture is not None

    def reading(self) -> dict[str, Any]:
        """What the job keeps of the photo: the attributes read and their confidences."""
        return {"read": dict(self.read), "confidence": dict(self.confidence)}


def read_upload(
    upload: bytes, chosen: Mapping[str, Any], reader: PhotoReader, *, keep_picture: bool
) -> PhotoOrder:
    """Check and read an uploaded photo. Raises InvalidUpload (not a usable image), InvalidSpec
    (a bad choice), or a Refusal (no face, several faces)."""
    picture = open_upload(upload)  # a clean RGB copy: no EXIF, no GPS, no metadata
    try:
        reading = reader.read(picture)
    except NoFace as exc:
        raise Refusal("photo.no_face") from exc
    except SeveralFaces as exc:
        raise Refusal("photo.several_faces", count=exc.count) from exc
    return PhotoOrder(
        spec=reading_to_spec(reading, chosen),
        read=dict(reading.read),
        confidence={a: round(c, 2) for a, c in reading.confidence.items()},
        picture=picture if keep_picture else None,
    )
