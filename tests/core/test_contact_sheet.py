"""The one contact-sheet builder: a grid of captioned cells, empty ones for missing pictures."""

from __future__ import annotations

import pytest
from PIL import Image

from core.contact_sheet import SheetLayout, SheetTile, contact_sheet


def test_cells_in_rows_with_captions_and_empty_cells() -> None:
    layout = SheetLayout(tile=20, gap=2, caption_lines=1, line_height=10, empty=(1, 2, 3))
    red = Image.new("RGB", (40, 40), (255, 0, 0))
    sheet = contact_sheet([SheetTile(red, "a"), SheetTile(None, "b"), SheetTile(red, "c")], columns=2, layout=layout)
    assert sheet.size == (2 * (20 + 2) + 2, 2 * (20 + 10 + 2) + 2)
    assert sheet.getpixel((2 + 10, 2 + 10)) == (255, 0, 0)  # scaled into its cell
    assert sheet.getpixel((2 + 22 + 10, 2 + 10)) == (1, 2, 3)  # no picture: the empty colour


def test_contain_keeps_the_aspect_and_columns_never_exceed_the_tiles() -> None:
    wide = Image.new("RGBA", (40, 20), (0, 0, 255, 255))
    layout = SheetLayout(tile=20, gap=0, caption_lines=0, fit="contain", empty=(9, 9, 9))
    sheet = contact_sheet([SheetTile(wide, "")], columns=5, layout=layout)
    assert sheet.size == (20, 20)
    assert sheet.getpixel((10, 10)) == (0, 0, 255) and sheet.getpixel((10, 1)) == (9, 9, 9)
    with pytest.raises(ValueError):
        contact_sheet([], columns=3)
