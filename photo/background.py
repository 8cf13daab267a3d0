"""The photo's background colours, and a backdrop for the avatar picked from the photo's colours.

The avatar's backdrops are pastels. We offer the pastel nearest in hue to the most colourful thing
around the person (the wall behind them or their clothes): a red dress gives pink, a blue wall sky.
A grey or white photo leaves the backdrop open.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.palette import BACKGROUNDS
from core.vocabulary import VALUES
from photo.colour import chroma, delta_e, hex_to_lab, lab_to_rgb, rgb_hue_degrees, to_lab
from photo.detector import FaceBox
from photo.evidence import UNKNOWN, AttributeReading, ramp
from photo.regions import CLOTHES, pixels_of
from photo.skin import skin_pixels

BORDER_SHARE = 0.06
PALETTE_SIZE = 3
# Below this chroma a colour is grey, white or black: no hue to match.
NEUTRAL_CHROMA = 10.0
COLOURFUL_CHROMA = 30.0
SKIN_DELTA_E = 15.0


def border_pixels(image: np.ndarray, face: FaceBox) -> np.ndarray:
    """RGB pixels of the photo's top and side edges, above the chin and away from the head."""
    height, width = image.shape[:2]
    strip = max(3, int(BORDER_SHARE * min(height, width)))
    chin = min(height, face.y + face.h)
    head_left, head_right = face.x - 0.3 * face.w, face.x + 1.3 * face.w
    columns = np.arange(width)
    away = (columns < head_left) | (columns > head_right)
    parts = [image[:strip][:, away].reshape(-1, 3), image[:chin, :strip].reshape(-1, 3)]
    parts.append(image[:chin, width - strip :].reshape(-1, 3))
    return np.concatenate(parts)


def dominant_colours(rgb: np.ndarray, k: int = PALETTE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """k Lab colours (k-means) and the share of pixels each stands for, largest first."""
    if len(rgb) < k:
        return np.empty((0, 3), np.float32), np.empty(0)
    lab = to_lab(rgb).astype(np.float32)
    if len(lab) > 4000:  # k-means on a fixed-stride subsample: deterministic and fast
        lab = lab[:: len(lab) // 4000]
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, labels, centres = cv2.kmeans(lab, k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    shares = np.bincount(labels.ravel(), minlength=k) / len(labels)
    order = np.argsort(-shares)
    return centres[order], shares[order]


def background_palette(image: np.ndarray, face: FaceBox) -> np.ndarray:
    """Lab colours of the photo's background (empty when the face fills the photo)."""
    centres, shares = dominant_colours(border_pixels(image, face))
    return centres[shares >= 0.15] if len(centres) else centres


def read_background(image: np.ndarray, face: FaceBox, skin: np.ndarray) -> AttributeReading:
    candidates: list[tuple[float, np.ndarray]] = []
    for rgb in (border_pixels(image, face), pixels_of(CLOTHES, image, face)):
        # Bare shoulders and arms are not a colour anyone chose: leave skin out.
        rgb = rgb[(delta_e(to_lab(rgb), skin) > SKIN_DELTA_E) & ~skin_pixels(rgb)]
        centres, shares = dominant_colours(rgb)
        candidates += [(float(share), centre) for share, centre in zip(shares, centres, strict=True) if share >= 0.2]
    if not candidates:
        return UNKNOWN
    # The most colourful sizeable colour wins: that is the one a person notices.
    share, colour = max(candidates, key=lambda c: chroma(c[1]) * min(1.0, 2 * c[0]))
    colourfulness = chroma(colour)
    if colourfulness < NEUTRAL_CHROMA:
        return AttributeReading(None, 0.0, {"chroma": round(colourfulness, 1)})
    hue = rgb_hue_degrees(lab_to_rgb(colour))
    name = min(VALUES["background"], key=lambda n: _hue_gap(hue, _PASTEL_HUES[n]))
    confidence = ramp(colourfulness, NEUTRAL_CHROMA, COLOURFUL_CHROMA)
    return AttributeReading(name, confidence, {"chroma": round(colourfulness, 1), "hue": round(hue)})


def _hue_gap(a: float, b: float) -> float:
    gap = abs(a - b) % 360
    return min(gap, 360 - gap)


_PASTEL_HUES = {name: rgb_hue_degrees(lab_to_rgb(hex_to_lab(shades[0]))) for name, shades in BACKGROUNDS.items()}
