"""Loading a photo safely and bringing it to the size the readers work at."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from photo.errors import UnreadableImage

# Limits for what a person may send: a phone photo is ~12-50 Mpx and a few MB.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 64_000_000
MIN_SIDE = 48
# The readers work on this longest side: faces in a selfie stay large enough, and detection stays fast.
WORKING_SIDE = 512

PhotoSource = Union[Path, str, bytes, Image.Image]


def load_photo(source: PhotoSource) -> Image.Image:
    """An RGB image, upright as the camera meant (EXIF orientation), or UnreadableImage."""
    if isinstance(source, Image.Image):
        return _checked(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise UnreadableImage(f"cannot read {path.name!r}: {exc.strerror or exc}") from exc
        if size > MAX_FILE_BYTES:
            raise UnreadableImage(_too_large_bytes(size))
        data = path.read_bytes()
    else:
        data = source
        if len(data) > MAX_FILE_BYTES:
            raise UnreadableImage(_too_large_bytes(len(data)))
    try:
        # A decompression bomb warning is as bad as the error: refuse both before decoding pixels.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                _check_size(opened.size)
                opened.load()
                return _checked(opened)
    except UnreadableImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableImage("this file is not an image I can read; send a JPEG, PNG or WebP photo") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImage("this image is damaged or cut short; try sending it again") from exc


def working_array(image: Image.Image, side: int = WORKING_SIDE) -> np.ndarray:
    """The photo as an RGB uint8 array with its longest side at most `side` pixels."""
    picture = image.convert("RGB")
    scale = side / max(picture.size)
    if scale < 1:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.BOX)
    return np.asarray(picture, dtype=np.uint8)


def _checked(image: Image.Image) -> Image.Image:
    _check_size(image.size)
    upright = ImageOps.exif_transpose(image)
    return upright.convert("RGB")


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise UnreadableImage(
            f"this image is too large ({width}x{height} pixels); send one under {MAX_PIXELS // 1_000_000} megapixels"
        )
    if min(width, height) < MIN_SIDE:
        raise UnreadableImage(f"this image is too small ({width}x{height} pixels) to see a face in")


def _too_large_bytes(size: int) -> str:
    return f"this file is too large ({size / 1e6:.0f} MB); send a photo under {MAX_FILE_BYTES // (1024 * 1024)} MB"
