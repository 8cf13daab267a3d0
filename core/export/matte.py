"""A classical alpha matte for avatars drawn on a flat background, with colour decontamination.

The avatars sit on one flat pastel colour (the spec's background; the model draws it nearly flat).
So the background is what is connected to the picture's border and close to that colour; the
character is everything else. In the thin band where the two meet, each pixel is a blend
c = a * F + (1 - a) * B of the background B and the nearest solid character colour F, so the
alpha is the projection of c - B on F - B, and the pixel's colour becomes F: the old background
does not stay behind as a halo around the cut-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import ndimage

# Background pixels vary a little in generated pictures: a pixel within this distance (RGB, 0..441)
# of the background colour, or within 3 standard deviations of the border's spread, is background.
MIN_BACKGROUND_TOLERANCE = 20.0
# Width (at 256 px) of the band next to the background whose pixels may be blends.
EDGE_BAND_PX_AT_256 = 4
# Below this distance between F and B the projection is meaningless: such a pixel stays opaque.
MIN_CONTRAST = 24.0
EDGE_GAIN = 2.0
# A separate part of the character smaller than this share of the picture is a speck, not a part.
MIN_PART_SHARE = 0.002


@dataclass(frozen=True)
class Matte:
    """`alpha`: uint8 H×W (255 = character); `rgb`: uint8 H×W×3 with the edge band decontaminated."""

    alpha: np.ndarray
    rgb: np.ndarray


def border_pixels(rgb: np.ndarray, width: int = 2) -> np.ndarray:
    """The picture's top, left and right strips (the bottom is often the character's shoulders)."""
    return np.concatenate(
        [rgb[:width].reshape(-1, 3), rgb[:, :width].reshape(-1, 3), rgb[:, -width:].reshape(-1, 3)]
    ).astype(np.float64)


def estimate_background(rgb: np.ndarray, hint: Optional[tuple[int, int, int]] = None) -> np.ndarray:
    """The background colour: the median of the border strips, or `hint` (the spec's colour) when the
    border is not one colour (hair or a hat touching the edge) and the hint is close to part of it."""
    border = border_pixels(rgb)
    median = np.median(border, axis=0)
    if hint is not None:
        hinted = np.asarray(hint, dtype=np.float64)
        near = np.linalg.norm(border - hinted, axis=1) < 30
        if near.mean() > 0.25:
            return np.median(border[near], axis=0)
    return median


def classical_matte(rgb: np.ndarray, background: Optional[np.ndarray] = None) -> Matte:
    """The matte of a uint8 H×W×3 picture on a flat background (estimated from the border if None)."""
    rgb = np.ascontiguousarray(rgb[..., :3])
    colour = estimate_background(rgb) if background is None else np.asarray(background, dtype=np.float64)
    image = rgb.astype(np.float64)
    spread = np.linalg.norm(border_pixels(rgb) - colour, axis=1)
    tolerance = max(MIN_BACKGROUND_TOLERANCE, 3.0 * float(np.median(spread)) * 1.4826)
    distance = np.linalg.norm(image - colour, axis=-1)
    # Background: close to the colour and connected to the border (a pale face inside its outline stays).
    background_mask = _border_connected(distance < tolerance)
    # Specks (the decoder's darker corner pixels, stray blots) are not a character.
    labels, count = ndimage.label(~background_mask)
    if count > 1:
        areas = ndimage.sum_labels(np.ones_like(distance), labels, index=np.arange(1, count + 1))
        specks = np.flatnonzero(areas < MIN_PART_SHARE * distance.size) + 1
        background_mask |= np.isin(labels, specks)
    band = max(1, round(EDGE_BAND_PX_AT_256 * rgb.shape[0] / 256))
    near_background = ndimage.binary_dilation(background_mask, iterations=band)
    solid = ~near_background
    alpha = np.where(background_mask, 0.0, 1.0)
    out = rgb.copy()
    edge = near_background & ~background_mask
    if solid.any() and edge.any():
        # F: the colour of the nearest solid character pixel.
        _, (iy, ix) = ndimage.distance_transform_edt(~solid, return_indices=True)
        fore = image[iy, ix]
        direction = fore - colour
        contrast2 = np.einsum("...c,...c->...", direction, direction)
        projection = np.einsum("...c,...c->...", image - colour, direction) / np.maximum(contrast2, 1e-9)
        # The autoencoder spreads a crisp edge over a few pixels: steepen the blend around its middle.
        soft = np.clip(0.5 + EDGE_GAIN * (projection - 0.5), 0.0, 1.0)
        soft = np.where(contrast2 < MIN_CONTRAST**2, 1.0, soft)
        alpha = np.where(edge, soft, alpha)
        out[edge] = fore[edge].round().clip(0, 255).astype(np.uint8)
    # Background pixels keep the nearest character colour too, so resizing never pulls in the old colour.
    if solid.any():
        _, (iy, ix) = ndimage.distance_transform_edt(background_mask, return_indices=True)
        out[background_mask] = out[iy, ix][background_mask]
    return Matte(alpha=(alpha * 255).round().astype(np.uint8), rgb=out)


def _border_connected(mask: np.ndarray) -> np.ndarray:
    labels, _ = ndimage.label(mask)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, edge_labels[edge_labels > 0])


def decontaminate(rgb: np.ndarray, alpha: np.ndarray, solid: int = 128) -> np.ndarray:
    """Colours for a matte from elsewhere (the learned one): every pixel less opaque than `solid`
    takes the colour of the nearest pixel that is not, so no background colour survives at the edge."""
    opaque = alpha >= solid
    if not opaque.any() or opaque.all():
        return rgb.copy()
    _, (iy, ix) = ndimage.distance_transform_edt(~opaque, return_indices=True)
    out = rgb.copy()
    out[~opaque] = rgb[iy, ix][~opaque]
    return out
