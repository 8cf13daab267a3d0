"""Sharpness of avatars: three figures on luminance, for generated and real images alike.

- `edge_gradient`: mean Sobel gradient magnitude over the 5 % strongest-edge pixels, in
  luminance levels (0..255) per pixel (the Sobel sum divided by its weight, 8). Soft
  upscaled art loses it first.
- `high_frequency_share`: the share of spectral power (mean removed) at radial frequencies
  above half the Nyquist frequency (0.25 cycles per pixel). Crisp outlines put power there;
  blur removes it.
- `edge_rise_px`: the median distance, in pixels, between the 10 % and 90 % points of the
  luminance profile across strong edges (taken along the gradient direction at local maxima
  of the gradient). A hard anti-aliased edge rises in about one pixel; blur widens it.

Each takes uint8 images N×H×W×3 (or one H×W×3) and returns the mean (or median) over them;
`sharpness_report` gives all three for a set of images, and `sharpness_ratios` compares two sets.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

STRONG_EDGE_SHARE = 0.05
HALF_NYQUIST = 0.25
_PROFILE_OFFSETS = np.arange(-5.0, 5.0001, 0.25)
_MAX_EDGES_PER_IMAGE = 300


def luminance(images: np.ndarray) -> np.ndarray:
    """N×H×W×3 uint8 (or H×W×3) -> N×H×W float64 in 0..255 (Rec. 601 weights)."""
    rgb = np.asarray(images, dtype=np.float64)
    if rgb.ndim == 3:
        rgb = rgb[None]
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _gradients(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Sobel sums a central difference (2 px apart) over 1-2-1 weights: / 8 gives levels per pixel.
    gy = ndimage.sobel(y, axis=0, mode="nearest") / 8.0
    gx = ndimage.sobel(y, axis=1, mode="nearest") / 8.0
    return gy, gx


def edge_gradient(images: np.ndarray) -> float:
    values = []
    for y in luminance(images):
        gy, gx = _gradients(y)
        magnitude = np.hypot(gx, gy).ravel()
        k = max(1, int(len(magnitude) * STRONG_EDGE_SHARE))
        values.append(float(np.partition(magnitude, -k)[-k:].mean()))
    return float(np.mean(values))


def high_frequency_share(images: np.ndarray) -> float:
    values = []
    for y in luminance(images):
        power = np.abs(np.fft.fft2(y - y.mean())) ** 2
        fy = np.fft.fftfreq(y.shape[0])[:, None]
        fx = np.fft.fftfreq(y.shape[1])[None, :]
        radius = np.hypot(fy, fx)
        total = power.sum()
        values.append(float(power[radius > HALF_NYQUIST].sum() / total) if total > 0 else 0.0)
    return float(np.mean(values))


def _rise_width(profile: np.ndarray) -> float | None:
    """Distance between the 10 % and 90 % crossings of a (mostly) rising profile."""
    low, high = profile.min(), profile.max()
    if high - low < 1e-6:
        return None
    p = (profile - low) / (high - low)
    centre = len(p) // 2
    # Walk out from the edge's centre, so a neighbouring edge does not count.
    below = np.flatnonzero(p[: centre + 1] <= 0.1)
    above = np.flatnonzero(p[centre:] >= 0.9)
    if len(below) == 0 or len(above) == 0:
        return None
    i = below[-1]
    j = centre + above[0]
    x10 = _PROFILE_OFFSETS[i] + (0.1 - p[i]) / max(p[i + 1] - p[i], 1e-9) * 0.25
    x90 = _PROFILE_OFFSETS[j - 1] + (0.9 - p[j - 1]) / max(p[j] - p[j - 1], 1e-9) * 0.25
    return float(x90 - x10)


def edge_rise_px(images: np.ndarray, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    widths: list[float] = []
    for y in luminance(images):
        gy, gx = _gradients(y)
        magnitude = np.hypot(gx, gy)
        threshold = np.quantile(magnitude, 1 - STRONG_EDGE_SHARE)
        # Local maxima of the gradient among the strong-edge pixels: the edges' centres.
        peaks = (magnitude >= threshold) & (magnitude > 0) & (magnitude == ndimage.maximum_filter(magnitude, 3))
        rows, cols = np.nonzero(peaks)
        if len(rows) > _MAX_EDGES_PER_IMAGE:
            pick = rng.choice(len(rows), _MAX_EDGES_PER_IMAGE, replace=False)
            rows, cols = rows[pick], cols[pick]
        if len(rows) == 0:
            continue
        norm = magnitude[rows, cols]
        dy, dx = gy[rows, cols] / norm, gx[rows, cols] / norm
        coords_y = rows[:, None] + dy[:, None] * _PROFILE_OFFSETS[None, :]
        coords_x = cols[:, None] + dx[:, None] * _PROFILE_OFFSETS[None, :]
        profiles = ndimage.map_coordinates(y, [coords_y.ravel(), coords_x.ravel()], order=1, mode="nearest")
        for profile in profiles.reshape(len(rows), -1):
            width = _rise_width(profile)
            if width is not None:
                widths.append(width)
    return float(np.median(widths)) if widths else float("nan")


def sharpness_report(images: np.ndarray) -> dict[str, float]:
    return {
        "edge_gradient": edge_gradient(images),
        "high_frequency_share": high_frequency_share(images),
        "edge_rise_px": edge_rise_px(images),
    }


def sharpness_ratios(generated: dict[str, float], real: dict[str, float]) -> dict[str, float]:
    """generated / real for each figure (gradient and share: higher is crisper; rise: lower is)."""
    return {k: generated[k] / real[k] if real[k] else float("nan") for k in generated}
