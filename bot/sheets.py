"""Contact sheets: several avatars on one PNG, each tile labelled, for history, review and styles.

Discord shows one image per embed well; a sheet shows a whole page at once.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from PIL import Image, ImageDraw, ImageFont, ImageOps

TILE = 160
LABEL_HEIGHT = 22
GAP = 6
BACKGROUND = (255, 240, 246)
EMPTY_TILE = (236, 224, 232)
TEXT = (70, 40, 60)


@dataclass(frozen=True)
class Tile:
    """One cell: a picture (PNG bytes; None draws an empty cell) and its label."""

    label: str
    png: Optional[bytes]


def contact_sheet(tiles: Sequence[Tile], *, columns: int = 3) -> bytes:
    """A PNG with the tiles in rows of `columns`, each labelled underneath."""
    if not tiles:
        raise ValueError("a contact sheet needs at least one tile")
    columns = max(1, min(columns, len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    cell_h = TILE + LABEL_HEIGHT
    width = columns * TILE + (columns + 1) * GAP
    height = rows * cell_h + (rows + 1) * GAP
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        x = GAP + column * (TILE + GAP)
        y = GAP + row * (cell_h + GAP)
        sheet.paste(_picture(tile.png), (x, y))
        draw.text((x + 4, y + TILE + 4), tile.label[:28], fill=TEXT, font=font)
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _picture(png: Optional[bytes]) -> Image.Image:
    if png is None:
        return Image.new("RGB", (TILE, TILE), EMPTY_TILE)
    with Image.open(io.BytesIO(png)) as picture:
        picture.load()
        flat = picture.convert("RGBA")
    tile = Image.new("RGB", (TILE, TILE), EMPTY_TILE)
    flat = ImageOps.contain(flat, (TILE, TILE), Image.Resampling.LANCZOS)  # up or down to fit
    offset = ((TILE - flat.width) // 2, (TILE - flat.height) // 2)
    tile.paste(flat, offset, flat)
    return tile
