"""Contact sheets: many pictures on one image, in a grid, each captioned underneath.

The one builder behind the bot's history, review and style pages, `avatarbot generate`'s sheet
and the data-set tool's sheets; each passes the layout it wants.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Optional

from PIL import Image, ImageDraw, ImageFont, ImageOps

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class SheetTile:
    """One cell: a picture (None draws an empty cell, e.g. for a failed job) and its caption."""

    image: Optional[Image.Image]
    caption: str


@dataclass(frozen=True)
class SheetLayout:
    tile: int = 256  # edge of each picture's square cell, px
    gap: int = 8  # around and between cells
    caption_lines: int = 4
    line_height: int = 14
    background: RGB = (250, 248, 252)
    empty: RGB = (220, 216, 224)  # a cell with no picture
    ink: RGB = (40, 36, 48)
    # "nearest": scaled to the cell with no smoothing (the model's pixels, flaws included);
    # "contain": scaled smoothly to fit, centred, transparency over the empty colour.
    fit: Literal["nearest", "contain"] = "nearest"


def contact_sheet(tiles: Sequence[SheetTile], *, columns: int, layout: SheetLayout = SheetLayout()) -> Image.Image:
    """The tiles in rows of `columns` (fewer if there are fewer tiles), captions wrapped under each."""
    if not tiles:
        raise ValueError("a contact sheet needs at least one tile")
    columns = max(1, min(columns, len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    edge, gap = layout.tile, layout.gap
    cell_h = edge + layout.caption_lines * layout.line_height
    sheet = Image.new("RGB", (columns * (edge + gap) + gap, rows * (cell_h + gap) + gap), layout.background)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    chars_per_line = max(8, edge // 6)
    for index, cell in enumerate(tiles):
        row, column = divmod(index, columns)
        x, y = gap + column * (edge + gap), gap + row * (cell_h + gap)
        sheet.paste(_fitted(cell.image, layout), (x, y))
        lines = textwrap.wrap(cell.caption, chars_per_line)[: layout.caption_lines]
        for n, line in enumerate(lines):
            draw.text((x + 2, y + edge + 2 + n * layout.line_height), line, fill=layout.ink, font=font)
    return sheet


def _fitted(image: Optional[Image.Image], layout: SheetLayout) -> Image.Image:
    edge = layout.tile
    if image is None:
        return Image.new("RGB", (edge, edge), layout.empty)
    if layout.fit == "nearest":
        picture = image.convert("RGB")
        return picture if picture.size == (edge, edge) else picture.resize((edge, edge), Image.Resampling.NEAREST)
    cell = Image.new("RGB", (edge, edge), layout.empty)
    picture = ImageOps.contain(image.convert("RGBA"), (edge, edge), Image.Resampling.LANCZOS)
    cell.paste(picture, ((edge - picture.width) // 2, (edge - picture.height) // 2), picture)
    return cell
