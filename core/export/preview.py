"""The frames sheet: every frame design on one avatar, round and square, for `/avatar frames`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from PIL import Image

from core.contact_sheet import SheetLayout, SheetTile, contact_sheet
from core.export.compose import compose
from core.export.options import FRAMES, ExportOptions

PREVIEW_TILE = 160


def checkerboard(size: int, cell: int = 16) -> Image.Image:
    """The grey checkerboard that shows where a picture is transparent."""
    board = Image.new("RGB", (size, size), (255, 255, 255))
    dark = Image.new("RGB", (cell, cell), (214, 214, 220))
    for y in range(0, size, cell):
        for x in range((y // cell) % 2 * cell, size, 2 * cell):
            board.paste(dark, (x, y))
    return board


def on_checkerboard(picture: Image.Image) -> Image.Image:
    board = checkerboard(picture.width, max(4, picture.width // 16)).convert("RGBA")
    return Image.alpha_composite(board, picture.convert("RGBA")).convert("RGB")


def frames_sheet(avatar: Image.Image, metadata: Optional[Mapping[str, str]] = None) -> Image.Image:
    """Each frame design (its name under it) on `avatar`, as a circle and as a rounded square."""
    tiles = []
    for frame in FRAMES:
        for shape in ("circle", "rounded"):
            options = ExportOptions(shape=shape, frame=frame, size=256)
            picture = compose(avatar, options, metadata=metadata)
            tiles.append(SheetTile(on_checkerboard(picture), f"{frame} ({shape})"))
    layout = SheetLayout(tile=PREVIEW_TILE, caption_lines=1, fit="contain")
    return contact_sheet(tiles, columns=4, layout=layout)
