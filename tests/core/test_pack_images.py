"""Emoji and sticker files within Discord's sizes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.pack_images import EMOJI, STICKER, Format, ImageTooLarge, fit_png


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_emoji_and_sticker_have_their_edges_and_sizes() -> None:
    image = Image.new("RGB", (256, 240), (240, 200, 220))
    emoji, sticker = fit_png(image, EMOJI), fit_png(image, STICKER)
    assert _open(emoji).size == (128, 128) and len(emoji) < 256 * 1024
    assert _open(sticker).size == (320, 320) and len(sticker) < 512 * 1024
    assert _open(sticker).format == "PNG"


def test_a_noisy_picture_is_reduced_to_a_palette_and_a_hopeless_one_refused() -> None:
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (320, 320, 3), dtype=np.uint8))
    data = fit_png(noise, Format("test", 320, 200 * 1024))
    assert len(data) <= 200 * 1024 and _open(data).mode == "P"
    with pytest.raises(ImageTooLarge, match="over Discord's 10 KiB"):
        fit_png(noise, Format("sticker", 320, 10 * 1024))
