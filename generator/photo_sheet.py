"""A contact sheet for judging photo -> avatar by eye: each photo beside its avatar in two styles.

    python -m photo_sheet --photos ../shared/eval-photos --out runs/photo_sheet.png

The sheet contains the photos, so it goes under runs/ (git-ignored) and is never committed.
Every avatar uses the same seed, so what differs between people is only what was read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from PIL import Image, ImageDraw, ImageFont

from generator.backends.base import RenderRequest
from photo.errors import PhotoError
from photo.image import load_photo
from photo.reading import PhotoReader
from photo.spec import describe, reading_to_spec

STYLES = ("adventurer", "lorelei")
WEIGHTS = Path("generator/weights/chibi")
SEED = 7
TILE = 192
CAPTION_H = 28
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def photo_paths(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES), key=_natural)


def build_sheet(paths: Sequence[Path], styles: Sequence[str], weights: Path, columns: int = 2) -> Image.Image:
    from generator.builtin.backend import BuiltinBackend

    backend = BuiltinBackend.load(weights)
    reader = PhotoReader()
    rows: list[tuple[Image.Image, list[Optional[Image.Image]], str]] = []
    for path in paths:
        photo = load_photo(path)
        try:
            reading = reader.read(photo)
        except PhotoError as exc:
            rows.append((photo, [None] * len(styles), f"{path.name}: {exc}"))
            continue
        requests = [RenderRequest(spec=reading_to_spec(reading, {"style": s}), seed=SEED) for s in styles]
        rows.append((photo, list(backend.render(requests)), f"{path.name}: {describe(reading)}"))
    return _lay_out(rows, len(styles), columns)


def _lay_out(
    rows: list[tuple[Image.Image, list[Optional[Image.Image]], str]], per_row: int, columns: int
) -> Image.Image:
    cell_w = (1 + per_row) * TILE + 12
    cell_h = TILE + CAPTION_H
    grid_rows = -(-len(rows) // columns)
    sheet = Image.new("RGB", (columns * cell_w, grid_rows * cell_h), (250, 248, 252))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for index, (photo, avatars, caption) in enumerate(rows):
        x, y = (index % columns) * cell_w, (index // columns) * cell_h
        thumb = photo.copy()
        thumb.thumbnail((TILE, TILE))
        sheet.paste(thumb, (x + (TILE - thumb.width) // 2, y + (TILE - thumb.height) // 2))
        for n, avatar in enumerate(avatars):
            if avatar is not None:
                sheet.paste(avatar.convert("RGB").resize((TILE, TILE)), (x + (n + 1) * TILE, y))
        draw.text((x + 2, y + TILE + 2), caption[:110], fill=(40, 36, 48), font=font)
    return sheet


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="photo beside its avatar in two styles (never commit the output)")
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    parser.add_argument("--styles", nargs=2, default=list(STYLES), metavar="STYLE")
    args = parser.parse_args(argv)
    sheet = build_sheet(photo_paths(args.photos), args.styles, args.weights)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height})")
    return 0


def _natural(path: Path) -> tuple[int, str]:
    digits = "".join(ch for ch in path.stem if ch.isdigit())
    return (int(digits) if digits else 0, path.name)


if __name__ == "__main__":
    sys.exit(main())
