"""The sharpness figures tell a hard edge from a blurred one, and a ratio from real renders."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from generator.builtin.sharpness import (
    edge_gradient,
    edge_rise_px,
    high_frequency_share,
    luminance,
    sharpness_ratios,
    sharpness_report,
)


def _disc(size: int = 96, blur: float = 0.0) -> np.ndarray:
    """A flat-colour disc on a flat background, anti-aliased by 4x supersampling, optionally blurred."""
    big = size * 4
    yy, xx = np.mgrid[0:big, 0:big]
    inside = (yy - big / 2) ** 2 + (xx - big / 2) ** 2 < (big * 0.3) ** 2
    image = np.where(inside[..., None], np.array([230, 120, 60]), np.array([40, 60, 160])).astype(np.float64)
    image = image.reshape(size, 4, size, 4, 3).mean(axis=(1, 3))
    if blur:
        image = ndimage.gaussian_filter(image, sigma=(blur, blur, 0))
    return image.round().astype(np.uint8)


def test_hard_and_blurred_edges_give_clearly_different_figures():
    hard, soft = _disc()[None], _disc(blur=1.5)[None]
    assert edge_gradient(hard) > 1.5 * edge_gradient(soft)
    assert high_frequency_share(hard) > 3 * high_frequency_share(soft)
    assert edge_rise_px(hard) < 1.6
    assert edge_rise_px(soft) > 2 * edge_rise_px(hard)


def test_clean_steps_measure_their_height_per_pixel_and_rise_within_a_pixel():
    stripes = np.zeros((1, 64, 64, 3), dtype=np.uint8)
    for left in range(0, 64, 8):  # 4 px stripes: far more than 5 % of the pixels sit on an edge
        stripes[:, :, left : left + 4] = 200
    # Sobel over a one-pixel step: half the height per pixel (a central difference spans 2 px).
    assert edge_gradient(stripes) == pytest.approx(100.0)
    assert edge_rise_px(stripes) <= 1.0


def test_flat_images_have_no_edges_and_no_high_frequencies():
    flat = np.full((2, 32, 32, 3), 128, dtype=np.uint8)
    assert edge_gradient(flat) == 0.0
    assert high_frequency_share(flat) == 0.0
    assert np.isnan(edge_rise_px(flat))


def test_luminance_weights_and_single_image_input():
    pixel = np.array([[[255, 0, 0]]], dtype=np.uint8)
    assert luminance(pixel).shape == (1, 1, 1)
    assert luminance(pixel)[0, 0, 0] == pytest.approx(0.299 * 255)


def test_report_and_ratios():
    hard, soft = sharpness_report(_disc()[None]), sharpness_report(_disc(blur=1.5)[None])
    ratios = sharpness_ratios(soft, hard)
    assert set(ratios) == {"edge_gradient", "high_frequency_share", "edge_rise_px"}
    assert ratios["edge_gradient"] < 1 < ratios["edge_rise_px"]
    assert sharpness_ratios(hard, hard) == pytest.approx({k: 1.0 for k in hard})
