"""Contact sheets: many small labelled avatars in one PNG, for looking at renders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from core.contact_sheet import SheetLayout, SheetTile
from core.contact_sheet import contact_sheet as draw_sheet

CAPTION_HEIGHT = 12


def contact_sheet(images: Sequence[np.ndarray], captions: Sequence[str] = (), columns: int = 10) -> Image.Image:
    """Tile equally sized H×W×3 uint8 images in a grid, each with an optional caption under it."""
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    layout = SheetLayout(tile=images[0].shape[1], gap=0, caption_lines=1 if captions else 0,
                         line_height=CAPTION_HEIGHT, background=(255, 255, 255), ink=(0, 0, 0))
    tiles = [SheetTile(Image.fromarray(pixels), captions[i] if captions else "") for i, pixels in enumerate(images)]
    return draw_sheet(tiles, columns=columns, layout=layout)


_SHORT = {"happy": "hap", "neutral": "neu", "sad": "sad", "surprised": "sur", "wink": "wnk"}


def caption(labels: dict[str, str]) -> str:
    """A very short label line: hair, expression, accessory, G for glasses."""
    glasses = " G" if labels["glasses"] == "glasses" else ""
    return f"{labels['hair'][:4]} {_SHORT[labels['expression']]} {labels['accessory'][:4]}{glasses}"


def dataset_sheet(root: Path, split: str, count: int, size: int = 128) -> Image.Image:
    """The first `count` samples of a split, captioned with their labels."""
    from core.vocabulary import ATTRIBUTES, VOCABULARY
    from generator.dataset.shards import load_split

    images, tokens = load_split(root, split, size, limit=count)
    captions = []
    for row in tokens:
        labels = {a: VOCABULARY.value_of(a, int(t)) for a, t in zip(ATTRIBUTES, row, strict=True)}
        captions.append(caption(labels))
    return contact_sheet(list(images), captions)


def variant_sheet(style: str, option: str, seed: int = 1, size: int = 128) -> Image.Image:
    """Every variant of one option of a style, the rest of the avatar kept from one sample."""
    from generator.dataset.node_bridge import dicebear_schemas, render_svgs
    from generator.dataset.raster import rasterise
    from generator.dataset.sampler import draw

    schema = dicebear_schemas([style])[style]
    if option not in schema or "enum" not in schema[option].get("items", {}):
        named = sorted(k for k, d in schema.items() if "enum" in d.get("items", {}))
        raise ValueError(f"{style} has no option {option!r} with named variants; it has: {', '.join(named)}")
    # Keep a sample of this style, so brows, colours and probabilities are the curated ones.
    base_seed = seed
    while draw(base_seed).style != style:
        base_seed += 1
    base = dict(draw(base_seed).options)
    variants = sorted(schema[option]["items"]["enum"])
    probability = f"{option}Probability"
    requests = []
    for i, variant in enumerate(variants):
        options = {**base, option: [variant]}
        if probability in schema:
            options[probability] = 100
        requests.append((i, style, options))
    images = [rasterise(svg, size) for _, svg in render_svgs(requests)]
    return contact_sheet(images, variants)
