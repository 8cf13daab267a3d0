"""Profile-ready exports of an avatar: transparent background, shapes, frames, sizes, file formats,
and the animation files (WebP inline, APNG sticker). Pure Pillow/numpy: the bot runs it itself."""

from core.export.compose import compose, cut_out
from core.export.encode import encode_export
from core.export.options import BACKGROUNDS, FORMATS, FRAMES, SHAPES, SIZES, ExportOptions, parse_export_options

__all__ = [
    "BACKGROUNDS",
    "FORMATS",
    "FRAMES",
    "SHAPES",
    "SIZES",
    "ExportOptions",
    "compose",
    "cut_out",
    "encode_export",
    "parse_export_options",
]
