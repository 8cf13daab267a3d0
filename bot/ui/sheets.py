"""Contact sheets for Discord: a page of avatars as one PNG (Discord shows one image per embed well;
a sheet shows a whole page at once). core.contact_sheet draws it; this is the bot's layout."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Optional

from PIL import Image

from core.contact_sheet import SheetLayout, SheetTile, contact_sheet

LAYOUT = SheetLayout(
    tile=160,
    gap=6,
    caption_lines=1,
    line_height=22,
    background=(255, 240, 246),
    empty=(236, 224, 232),
    ink=(70, 40, 60),
    fit="contain",
)


def sheet_png(tiles: Sequence[tuple[str, Optional[bytes]]], *, columns: int = 3) -> bytes:
    """A PNG of (label, picture PNG or None) tiles, `columns` to a row."""
    cells = [SheetTile(_open(png), label) for label, png in tiles]
    buffer = io.BytesIO()
    contact_sheet(cells, columns=columns, layout=LAYOUT).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _open(png: Optional[bytes]) -> Optional[Image.Image]:
    if png is None:
        return None
    with Image.open(io.BytesIO(png)) as picture:
        picture.load()
        return picture.copy()
