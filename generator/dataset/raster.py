"""SVG -> pixels with resvg. Needs no node, so SVG archives can be rasterised anywhere."""

from __future__ import annotations

import io
import re

import numpy as np
import resvg_py
from PIL import Image

# DiceBear draws the background as the first full-size rect inside the viewbox mask.
_BACKGROUND_RECT = re.compile(r'(<g mask="url\(#viewboxMask\)">)<rect fill="#[0-9a-fA-F]{3,8}" [^>]*?/>')


def rasterise(svg: str, size: int) -> np.ndarray:
    """Render one SVG to a size×size×3 uint8 array (transparent parts composited on white)."""
    png = resvg_py.svg_to_bytes(svg_string=svg, width=size, height=size, background="#ffffff")
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def without_background(svg: str) -> str:
    """The same avatar with its background rect removed (the character alone)."""
    stripped, n = _BACKGROUND_RECT.subn(r"\1", svg, count=1)
    if n != 1:
        raise ValueError("this SVG has no DiceBear background rect to remove")
    return stripped


def rasterise_matte(svg: str, size: int) -> np.ndarray:
    """The character's exact alpha matte: size×size uint8 (0 = background, 255 = character)."""
    png = resvg_py.svg_to_bytes(svg_string=without_background(svg), width=size, height=size)
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"), dtype=np.uint8)[..., 3].copy()
