"""An export: the stored avatar -> (matte) -> size -> shape -> frame, as one RGBA or RGB picture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, Protocol

import numpy as np
from PIL import Image

from core.export.frames import frame_overlay
from core.export.matte import Matte, classical_matte
from core.export.options import ExportOptions
from core.export.shapes import shape_mask
from core.export.upscale import resize
from core.palette import BACKGROUNDS


class Matter(Protocol):
    """Something that cuts the character out of an RGB picture (classical, learned, or both)."""

    def __call__(self, rgb: np.ndarray, background: Optional[np.ndarray] = None) -> Matte: ...


def background_hint(metadata: Mapping[str, str]) -> Optional[np.ndarray]:
    """The spec's background colour from a stored PNG's metadata (its first shade), if it names one."""
    import json

    try:
        name = json.loads(metadata.get("spec", "{}")).get("background")
    except (ValueError, AttributeError):
        return None
    shades = BACKGROUNDS.get(name) if isinstance(name, str) else None
    if not shades:
        return None
    return np.array([int(shades[0][i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


def cut_out(image: Image.Image, matter: Matter = classical_matte, hint: Optional[np.ndarray] = None) -> Image.Image:
    """The avatar as RGBA with its background made transparent."""
    from core.export.matte import estimate_background

    rgb = np.asarray(image.convert("RGB"))
    colour = estimate_background(rgb, None if hint is None else tuple(int(v) for v in hint))
    matte = matter(rgb, colour)
    return Image.fromarray(np.dstack([matte.rgb, matte.alpha]), mode="RGBA")


def compose(
    image: Image.Image,
    options: ExportOptions,
    *,
    metadata: Optional[Mapping[str, str]] = None,
    matter: Matter = classical_matte,
) -> Image.Image:
    """The exported picture: RGBA when anything is transparent, else RGB, `options.size` square."""
    if options.background == "transparent":
        picture = cut_out(image, matter, background_hint(metadata or {}))
    else:
        picture = image.convert("RGB")
    picture = _square(picture)
    picture = resize(picture, options.size)
    if not options.transparent and options.frame == "none":
        return picture.convert("RGB")
    picture = picture.convert("RGBA")
    if options.shape != "square":
        alpha = np.asarray(picture.getchannel("A"), dtype=np.uint16)
        mask = np.asarray(shape_mask(options.shape, options.size), dtype=np.uint16)
        picture.putalpha(Image.fromarray((alpha * mask // 255).astype(np.uint8), mode="L"))
    if options.frame != "none":
        picture = Image.alpha_composite(picture, frame_overlay(options.frame, options.shape, options.size))
    if not options.transparent:
        return picture.convert("RGB")
    return picture


def _square(picture: Image.Image) -> Image.Image:
    if picture.width == picture.height:
        return picture
    edge = min(picture.size)
    left, top = (picture.width - edge) // 2, (picture.height - edge) // 2
    return picture.crop((left, top, left + edge, top + edge))
