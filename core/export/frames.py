"""Frame designs drawn with Pillow: a pastel band along the shape's edge with cute decorations.

Everything is drawn at 4x and shrunk (antialiasing), and follows the export's shape: a circle
gets a round frame, a square or rounded square a matching one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from core.export.shapes import ROUNDED_RADIUS, SUPERSAMPLE, outline_path

RGBA = tuple[int, int, int, int]
# Band width as a share of the edge.
BAND = 0.055


@dataclass(frozen=True)
class FrameDesign:
    band: RGBA
    trim: RGBA  # the thin line along the band's inner edge
    count: int  # decorations around the edge
    draw: Callable[[ImageDraw.ImageDraw, float, float, float, int], None]  # (draw, x, y, radius, index)


def _heart(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, i: int) -> None:
    points = []
    for k in range(64):
        t = 2 * math.pi * k / 64
        hx = 16 * math.sin(t) ** 3
        hy = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((x + hx / 17 * r, y - hy / 17 * r))
    fill = (255, 120, 170, 255) if i % 2 == 0 else (255, 170, 200, 255)
    draw.polygon(points, fill=fill, outline=(255, 255, 255, 255), width=max(1, round(r / 7)))


def _star(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, i: int) -> None:
    r = r * (1.0 if i % 2 == 0 else 0.7)
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
    draw.polygon(points, fill=(255, 214, 90, 255), outline=(255, 255, 255, 255), width=max(1, round(r / 8)))


def _flower(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, i: int) -> None:
    petal = (255, 182, 213, 255) if i % 2 == 0 else (200, 180, 255, 255)
    pr = r * 0.42
    for k in range(5):
        angle = -math.pi / 2 + k * 2 * math.pi / 5 + i * 0.4
        px, py = x + r * 0.52 * math.cos(angle), y + r * 0.52 * math.sin(angle)
        draw.ellipse((px - pr, py - pr, px + pr, py + pr), fill=petal)
    cr = r * 0.3
    draw.ellipse((x - cr, y - cr, x + cr, y + cr), fill=(255, 220, 90, 255))


def _bubble(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, i: int) -> None:
    r = r * (0.95, 0.6, 0.8)[i % 3]
    draw.ellipse(
        (x - r, y - r, x + r, y + r),
        fill=(150, 205, 255, 235),
        outline=(255, 255, 255, 255),
        width=max(1, round(r / 6)),
    )
    hr = r * 0.28
    hx, hy = x - r * 0.35, y - r * 0.35
    draw.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=(255, 255, 255, 230))


def _dot(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, i: int) -> None:
    # The ribbon's polka dots; its bow is drawn once, at the top (see _ribbon_bow).
    r = r * 0.35
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 255))


DESIGNS: dict[str, FrameDesign] = {
    "hearts": FrameDesign((255, 205, 222, 255), (255, 255, 255, 255), 10, _heart),
    "stars": FrameDesign((170, 190, 255, 255), (255, 255, 255, 255), 12, _star),
    "flowers": FrameDesign((190, 235, 200, 255), (255, 255, 255, 255), 10, _flower),
    "bubbles": FrameDesign((200, 232, 255, 255), (255, 255, 255, 255), 14, _bubble),
    "ribbon": FrameDesign((190, 160, 235, 255), (255, 255, 255, 255), 24, _dot),
}


def frame_overlay(frame: str, shape: str, size: int) -> Image.Image:
    """The frame as an RGBA layer of `size` x `size` to put over the avatar (transparent inside)."""
    if frame == "none":
        return Image.new("RGBA", (size, size), (0, 0, 0, 0))
    design = DESIGNS.get(frame)
    if design is None:
        raise ValueError(f"unknown frame {frame!r}")
    big = size * SUPERSAMPLE
    layer = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    band = big * BAND
    _band(draw, shape, big, band, design.band)
    _band(draw, shape, big, band * 0.18, design.trim, inset=band)
    points = outline_path(shape, big, band / 2)
    radius = band * 1.25
    for i in range(design.count):
        x, y = points[round(i * len(points) / design.count) % len(points)]
        design.draw(draw, x, y, radius, i)
    if frame == "ribbon":
        _ribbon_bow(draw, *points[0], band * 2.2)
    return layer.resize((size, size), Image.Resampling.LANCZOS)


def _band(draw: ImageDraw.ImageDraw, shape: str, big: int, width: float, colour: RGBA, inset: float = 0.0) -> None:
    box = (inset, inset, big - 1 - inset, big - 1 - inset)
    w = max(1, round(width))
    if shape == "circle":
        draw.ellipse(box, outline=colour, width=w)
    else:
        radius = big * (ROUNDED_RADIUS if shape == "rounded" else 0.06) - inset
        draw.rounded_rectangle(box, radius=max(1, round(radius)), outline=colour, width=w)


def _ribbon_bow(draw: ImageDraw.ImageDraw, x: float, y: float, r: float) -> None:
    colour, dark = (255, 140, 185, 255), (220, 90, 145, 255)
    y = y + r * 0.15
    draw.polygon([(x, y), (x - r, y - r * 0.6), (x - r, y + r * 0.6)], fill=colour, outline=dark, width=3)
    draw.polygon([(x, y), (x + r, y - r * 0.6), (x + r, y + r * 0.6)], fill=colour, outline=dark, width=3)
    k = r * 0.28
    draw.ellipse((x - k, y - k, x + k, y + k), fill=dark)
