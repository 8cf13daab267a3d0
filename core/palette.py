"""Named colours -> hex shades. Each name has a couple of close shades so the model learns a
colour family, not one exact pixel value; the sampler picks one shade per sample."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

HAIR_COLOURS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "black": ("1f1b1b", "2e2626", "262233"),
        "brown": ("6b4226", "8a5a35", "5a3621"),
        "blonde": ("e8c170", "f2d694", "dcb25c"),
        "red": ("b8372a", "cf4a34", "a8322c"),
        "pink": ("f28cb8", "f7a8c9", "ec7aa9"),
        "blue": ("4f7fd9", "6fa0ec", "3f6cc4"),
        "purple": ("8e5cc7", "a57ad6", "7c4db5"),
        "green": ("4fa36b", "6cbf83", "3f8f5a"),
        "white": ("f2f2f2", "e9e6e0", "eaeef5"),
    }
)

SKIN_TONES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "light": ("fde7d6", "fbe0cd"),
        "fair": ("f3cfa9", "eec39b"),
        "tan": ("d9a06c", "cc935f"),
        "brown": ("a8693f", "985d36"),
        "dark": ("6e4128", "5e3620"),
    }
)

BACKGROUNDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "pink": ("ffd6e0", "fcd0dc"),
        "peach": ("ffdcc2", "fdd5b8"),
        "lemon": ("fff3b0", "fdf0a6"),
        "mint": ("c9f2d9", "c2eed3"),
        "sky": ("cce7ff", "c4e2fb"),
        "lavender": ("e2d4f7", "dccdf3"),
    }
)

# Which palette serves which colour attribute.
PALETTES: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"hair_color": HAIR_COLOURS, "skin": SKIN_TONES, "background": BACKGROUNDS}
)
