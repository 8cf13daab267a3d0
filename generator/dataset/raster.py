"""SVG -> RGB pixels with resvg. Needs no node, so SVG archives can be rasterised anywhere."""

from __future__ import annotations

import io

import numpy as np
import resvg_py
from PIL import Image


def rasterise(svg: str, size: int) -> np.ndarray:
    """Render one SVG to a size×size×3 uint8 array (transparent parts composited on white)."""
    png = resvg_py.svg_to_bytes(svg_string=svg, width=size, height=size, background="#ffffff")
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
