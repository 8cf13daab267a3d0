"""A stand-in avatar with a known matte: a face with a dark outline on a flat pastel background,
drawn at 128 px and delivered at 256 px like the built-in model's, plus its exact alpha."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

BACKGROUND = (201, 242, 217)  # mint


def drawn_avatar(size: int = 256, background: tuple[int, int, int] = BACKGROUND) -> tuple[Image.Image, np.ndarray]:
    """(the RGB picture at `size`, its exact alpha as float H×W in 0..1)."""
    big = 1024

    def draw(target: Image.Image, fill_face: object, fill_line: object, fill_hair: object) -> None:
        pen = ImageDraw.Draw(target)
        pen.ellipse((300, 90, 724, 560), fill=fill_hair)  # hair
        pen.ellipse((330, 200, 694, 640), fill=fill_line)  # outline
        pen.ellipse((350, 220, 674, 620), fill=fill_face)  # face
        pen.rectangle((400, 600, 624, 1023), fill=fill_line)  # neck and shirt to the bottom edge
        pen.rectangle((420, 600, 604, 1023), fill=fill_hair)

    picture = Image.new("RGB", (big, big), background)
    draw(picture, (253, 231, 214), (40, 30, 40), (242, 140, 184))
    matte = Image.new("L", (big, big), 0)
    draw(matte, 255, 255, 255)
    # Drawn at 128 px, delivered larger: as soft as the model's pictures.
    small = picture.resize((128, 128), Image.Resampling.LANCZOS)
    rgb = small.resize((size, size), Image.Resampling.LANCZOS)
    alpha = np.asarray(matte.resize((size, size), Image.Resampling.BOX), dtype=np.float64) / 255
    return rgb, alpha
