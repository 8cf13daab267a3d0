"""Contact sheets: many avatars on one PNG, each captioned with what was asked."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from PIL import Image, ImageDraw, ImageFont

TILE = 256
CAPTION_LINES = 4
LINE_HEIGHT = 14
PAD = 8
BACKGROUND = (250, 248, 252)
INK = (40, 36, 48)


@dataclass(frozen=True)
class SheetTile:
    """One cell: an image (None for a failed job) and its caption."""

    image: Optional[Image.Image]
    caption: str


def contact_sheet(tiles: Sequence[SheetTile], *, columns: int = 4, tile: int = TILE) -> Image.Image:
    """Lay tiles out in a grid with captions under each."""
    if not tiles:
        raise ValueError("a contact sheet needs at least one tile")
    columns = max(1, min(columns, len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    cell_w = tile + PAD
    cell_h = tile + PAD + CAPTION_LINES * LINE_HEIGHT
    sheet = Image.new("RGB", (columns * cell_w + PAD, rows * cell_h + PAD), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    chars_per_line = max(8, tile // 7)
    for index, cell in enumerate(tiles):
        x = PAD + (index % columns) * cell_w
        y = PAD + (index // columns) * cell_h
        if cell.image is not None:
            # Nearest keeps the model's pixels honest when sizes differ; no smoothing hides flaws.
            picture = cell.image.convert("RGB")
            if picture.size != (tile, tile):
                picture = picture.resize((tile, tile), Image.Resampling.NEAREST)
            sheet.paste(picture, (x, y))
        else:
            draw.rectangle((x, y, x + tile - 1, y + tile - 1), fill=(220, 216, 224))
        lines = textwrap.wrap(cell.caption, chars_per_line)[:CAPTION_LINES]
        for n, line in enumerate(lines):
            draw.text((x, y + tile + 2 + n * LINE_HEIGHT), line, fill=INK, font=font)
    return sheet


def save_contact_sheet(tiles: Sequence[SheetTile], path: Path, *, columns: int = 4) -> Path:
    contact_sheet(tiles, columns=columns).save(path, format="PNG")
    return path
