"""Figures of the exports: how close a matte is to the exact one, and how wide edges are."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# Edge pixels: within this many pixels (at 256 px) of the exact matte's outline.
EDGE_BAND_PX = 2


def soft_iou(predicted: np.ndarray, exact: np.ndarray) -> float:
    """Intersection over union of two alphas in 0..1 (min / max summed): 1.0 is the same matte."""
    union = np.maximum(predicted, exact).sum()
    return float(np.minimum(predicted, exact).sum() / union) if union > 0 else 1.0


def edge_mask(exact: np.ndarray) -> np.ndarray:
    """The band around the exact matte's outline (and its own soft pixels)."""
    solid = exact > 0.5
    band = ndimage.binary_dilation(solid, iterations=EDGE_BAND_PX) & ~ndimage.binary_erosion(
        solid, iterations=EDGE_BAND_PX
    )
    return band | ((exact > 0.02) & (exact < 0.98))


def matte_figures(predicted: list[np.ndarray], exact: list[np.ndarray]) -> dict[str, float]:
    """Mean soft IoU, mean absolute alpha error on edge pixels and over the whole picture
    (alphas as uint8 H×W), and the share of pictures at IoU >= 0.97."""
    ious, edge_errors, errors = [], [], []
    for p, e in zip(predicted, exact, strict=True):
        p, e = p.astype(np.float64) / 255, e.astype(np.float64) / 255
        ious.append(soft_iou(p, e))
        band = edge_mask(e)
        edge_errors.append(float(np.abs(p - e)[band].mean()) if band.any() else 0.0)
        errors.append(float(np.abs(p - e).mean()))
    return {
        "mean_iou": float(np.mean(ious)),
        "median_iou": float(np.median(ious)),
        "share_iou_at_least_0.97": float(np.mean(np.array(ious) >= 0.97)),
        "edge_mae": float(np.mean(edge_errors)),
        "mae": float(np.mean(errors)),
        "count": len(ious),
    }
