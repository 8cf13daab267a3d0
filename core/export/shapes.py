"""Antialiased shape masks: drawn with Pillow at 4x and shrunk, so edges are smooth, not stair-stepped."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

SUPERSAMPLE = 4
# Corner radius of the rounded square, as a share of the edge (Discord-like soft corners).
ROUNDED_RADIUS = 0.22


def shape_mask(shape: str, size: int) -> Image.Image:
    """An "L" mask of `size` x `size`: 255 inside the shape, 0 outside, soft on the boundary."""
    if shape == "square":
        return Image.new("L", (size, size), 255)
    big = size * SUPERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    box = (0, 0, big - 1, big - 1)
    if shape == "circle":
        draw.ellipse(box, fill=255)
    elif shape == "rounded":
        draw.rounded_rectangle(box, radius=round(big * ROUNDED_RADIUS), fill=255)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return canvas.resize((size, size), Image.Resampling.BOX)


def outline_path(shape: str, size: int, inset: float) -> list[tuple[float, float]]:
    """Points along the shape's outline `inset` px inside the edge, evenly spaced by arc length
    (where frames put their decorations), clockwise from the top centre."""
    half = size / 2
    if shape == "circle":
        radius = half - inset
        return [
            (half + radius * math.sin(2 * math.pi * i / 360), half - radius * math.cos(2 * math.pi * i / 360))
            for i in range(360)
        ]
    # Square and rounded: a rounded rectangle (the square with a small radius), walked by arc length.
    r = (size * ROUNDED_RADIUS if shape == "rounded" else size * 0.06) - inset / 2
    r = max(r, 1.0)
    lo, hi = inset, size - inset
    straight = hi - lo - 2 * r
    total = 4 * straight + 2 * math.pi * r
    return [_rounded_rect_point(i / 360 * total, lo, hi, r, straight) for i in range(360)]


def _rounded_rect_point(s: float, lo: float, hi: float, r: float, straight: float) -> tuple[float, float]:
    cx = (lo + hi) / 2
    # s = 0 is the top centre: shift by half the top edge, then walk edges and corners clockwise.
    s = (s + straight / 2) % (4 * straight + 2 * math.pi * r)
    corners = [(hi - r, lo + r), (hi - r, hi - r), (lo + r, hi - r), (lo + r, lo + r)]
    starts = [(lo + r, lo), (hi, lo + r), (hi - r, hi), (lo, hi - r)]
    directions = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    arc = math.pi / 2 * r
    for side in range(4):
        if s <= straight:
            x0, y0 = starts[side]
            dx, dy = directions[side]
            return (x0 + dx * s, y0 + dy * s)
        s -= straight
        if s <= arc:
            ccx, ccy = corners[side]
            angle = -math.pi / 2 + side * math.pi / 2 + s / r
            return (ccx + r * math.cos(angle), ccy + r * math.sin(angle))
        s -= arc
    return (cx, lo)
