"""An avatar as a Discord emoji (128x128 PNG under 256 KiB) or sticker (320x320 PNG under 512 KiB).

Discord refuses larger files, so each size is checked here and, when a plain PNG is too big, the
picture is reduced to a 256-colour palette (flat chibi art loses nothing visible) before giving up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from core.errors import AvatarError


@dataclass(frozen=True)
class Format:
    name: str
    edge: int
    max_bytes: int


EMOJI = Format("emoji", 128, 256 * 1024)
STICKER = Format("sticker", 320, 512 * 1024)


class ImageTooLarge(AvatarError):
    """The picture cannot be made small enough for Discord."""


def fit_png(image: Image.Image, fmt: Format) -> bytes:
    """`image` as a square PNG of `fmt.edge` px within `fmt.max_bytes` (no metadata: Discord strips it)."""
    mode = "RGBA" if "A" in image.getbands() else "RGB"
    square = _square(image.convert(mode)).resize((fmt.edge, fmt.edge), Image.LANCZOS)
    data = _png(square)
    if len(data) > fmt.max_bytes:
        data = _png(square.quantize(colors=256, method=Image.Quantize.FASTOCTREE))
    if len(data) > fmt.max_bytes:
        raise ImageTooLarge(f"the {fmt.name} is {len(data) // 1024} KiB, over Discord's {fmt.max_bytes // 1024} KiB")
    return data


def _square(image: Image.Image) -> Image.Image:
    edge = min(image.size)
    left, top = (image.width - edge) // 2, (image.height - edge) // 2
    return image.crop((left, top, left + edge, top + edge))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
