"""Checks on uploaded photos, shared by the bot (at upload) and the generator (before img2img).

A photo is accepted only as PNG, JPEG or WebP, at most 10 MiB (10 × 2^20 bytes,
the unit Discord's attachment limits use; every message says MiB) and 4096 px a
side. Its size is read from the header before any pixel is decoded, so a small
file that would unpack into gigabytes (a decompression bomb) is refused
cheaply. What comes out is a plain RGB image: EXIF orientation applied, EXIF
and every other piece of metadata (GPS position, camera serial) left behind.
Each refusal is an InvalidUpload whose message says why.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import AvatarError

MIB = 1024 * 1024  # sizes are counted and shown in mebibytes, one unit everywhere
MAX_UPLOAD_BYTES = 10 * MIB
MAX_UPLOAD_SIDE = 4096

# Pillow's names for the formats we take (MPO is how Pillow reads many phone JPEGs).
_ACCEPTED = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "WEBP": "WebP"}
_ACCEPTED_TEXT = "PNG, JPEG or WebP"


class InvalidUpload(AvatarError, ValueError):
    """An uploaded picture that cannot be used; the message tells the person why."""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = MAX_UPLOAD_BYTES
    max_side: int = MAX_UPLOAD_SIDE

    @property
    def max_pixels(self) -> int:
        return self.max_side * self.max_side


def mebibytes(count: int) -> str:
    """A size in MiB for people: whole when exact, else one decimal rounded up (so a file just over
    a limit never reads as the limit itself)."""
    if count % MIB == 0:
        return f"{count // MIB} MiB"
    return f"{math.ceil(count * 10 / MIB) / 10:.1f} MiB"


def open_upload(data: bytes, limits: UploadLimits = UploadLimits()) -> Image.Image:
    """Check an uploaded file and return it as a clean RGB image (oriented, no metadata)."""
    if not data:
        raise InvalidUpload("The upload is empty; send a PNG, JPEG or WebP photo.")
    if len(data) > limits.max_bytes:
        raise InvalidUpload(f"The photo is {mebibytes(len(data))}; the limit is {mebibytes(limits.max_bytes)}.")
    with warnings.catch_warnings():
        # Pillow only warns about a large image; here that is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            picture = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            raise InvalidUpload(f"The file is not an image we can read; send a {_ACCEPTED_TEXT} photo.") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InvalidUpload("The photo would need too much memory to open; send a smaller one.") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise InvalidUpload("The photo file is damaged or incomplete.") from exc
        with picture:
            if picture.format not in _ACCEPTED:
                raise InvalidUpload(
                    f"{picture.format or 'That kind of'} images are not accepted; send a {_ACCEPTED_TEXT} photo."
                )
            _check_dimensions(picture.size, limits)  # before decoding: the bomb guard
            try:
                picture.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise InvalidUpload("The photo would need too much memory to open; send a smaller one.") from exc
            except (OSError, SyntaxError, ValueError) as exc:
                raise InvalidUpload("The photo file is damaged or incomplete.") from exc
            return clean_image(picture, limits)


def _check_dimensions(size: tuple[int, int], limits: UploadLimits) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise InvalidUpload("The photo has no pixels.")
    if width > limits.max_side or height > limits.max_side:
        raise InvalidUpload(f"The photo is {width} × {height} px; at most {limits.max_side} px a side is accepted.")
    if width * height > limits.max_pixels:
        raise InvalidUpload("The photo would need too much memory to open; send a smaller one.")


def clean_image(picture: Image.Image, limits: UploadLimits = UploadLimits()) -> Image.Image:
    """An RGB copy with EXIF orientation applied and no metadata; checks the size again."""
    _check_dimensions(picture.size, limits)
    oriented = ImageOps.exif_transpose(picture)
    if oriented.mode in ("RGBA", "LA", "PA") or (oriented.mode == "P" and "transparency" in oriented.info):
        rgba = oriented.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))  # transparent parts become white, not black
    else:
        flat = oriented.convert("RGB")
    # A new image carries no EXIF, ICC or text chunks from the original.
    clean = Image.new("RGB", flat.size)
    clean.paste(flat)
    return clean


def encode_png(picture: Image.Image) -> bytes:
    """PNG bytes of a cleaned image, for storing the upload."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
