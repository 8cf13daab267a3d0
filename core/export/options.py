"""What an export asks for: background, shape, frame, size and file format, checked in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidExport

BACKGROUNDS = ("keep", "transparent")
SHAPES = ("square", "circle", "rounded")
# The frame designs drawn by core/export/frames.py ("none": no frame).
FRAMES = ("none", "hearts", "stars", "flowers", "bubbles", "ribbon")
SIZES = (128, 256, 512, 1024)
FORMATS = ("png", "webp")


@dataclass(frozen=True)
class ExportOptions:
    """One export. Defaults give the avatar as it was made: square, its background, 256 px, PNG."""

    background: str = "keep"
    shape: str = "square"
    frame: str = "none"
    size: int = 256
    format: str = "png"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("background", BACKGROUNDS),
            ("shape", SHAPES),
            ("frame", FRAMES),
            ("format", FORMATS),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise InvalidExport(f"unknown {name} {value!r}; choose one of: {', '.join(allowed)}")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size not in SIZES:
            raise InvalidExport(
                f"size {self.size!r} is not offered; choose one of: {', '.join(str(s) for s in SIZES)} px"
            )

    @property
    def transparent(self) -> bool:
        """The file has an alpha channel: a transparent background, or corners cut by the shape."""
        return self.background == "transparent" or self.shape != "square"

    @property
    def extension(self) -> str:
        return self.format

    def describe(self) -> str:
        parts = [f"{self.size} px", self.format.upper()]
        if self.background == "transparent":
            parts.append("transparent background")
        if self.shape != "square":
            parts.append(self.shape)
        if self.frame != "none":
            parts.append(f"{self.frame} frame")
        return ", ".join(parts)


def parse_export_options(data: Mapping[str, Any]) -> ExportOptions:
    """Options from loose input (a command's options, CLI flags); None means the default."""
    given = {k: v for k, v in data.items() if v is not None}
    unknown = set(given) - set(ExportOptions.__dataclass_fields__)
    if unknown:
        raise InvalidExport(f"unknown export option {sorted(unknown)[0]!r}")
    for name in ("background", "shape", "frame", "format"):
        if name in given:
            given[name] = str(given[name]).strip().lower()
    if "size" in given:
        try:
            given["size"] = int(str(given["size"]).strip().lower().removesuffix("px"))
        except ValueError:
            raise InvalidExport(
                f"size {given['size']!r} is not a number of pixels; choose one of: {', '.join(str(s) for s in SIZES)}"
            ) from None
    return ExportOptions(**given)
