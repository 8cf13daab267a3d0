"""Glasses: a frame draws long horizontal lines where bare skin has none: the bar across the
bridge of the nose, and the lower rims under the eyes. On the face scaled to a fixed size we take,
in each of those places, the row with the most edge pixels; frames fill such a row nearly across.
"""

from __future__ import annotations

import cv2
import numpy as np

from photo.detector import FaceBox
from photo.evidence import AttributeReading, margin_confidence
from photo.regions import Region

FACE_SIDE = 160  # edges are counted on the face resized to this, so photo size does not matter
BRIDGE = Region(0.44, 0.28, 0.56, 0.50)
LOWER_RIMS = (Region(0.15, 0.42, 0.38, 0.58), Region(0.62, 0.42, 0.85, 0.58))
# Bridge line coverage + mean rim line coverage at or above which we say "glasses".
GLASSES_SCORE = 1.05
SCORE_SURE = 0.25


def face_edges(image: np.ndarray, face: FaceBox) -> np.ndarray:
    crop = Region(0, 0, 1, 1).crop(image, face)
    grey = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), (FACE_SIDE, FACE_SIDE), interpolation=cv2.INTER_AREA)
    return cv2.Canny(cv2.GaussianBlur(grey, (3, 3), 0), 40, 100) > 0


def line_coverage(edges: np.ndarray, region: Region) -> float:
    """The largest share of a row of `region` (in face units) covered by edge pixels."""
    side = edges.shape[0]
    part = edges[int(region.top * side) : int(region.bottom * side), int(region.left * side) : int(region.right * side)]
    return float(part.mean(axis=1).max()) if part.size else 0.0


def read_glasses(image: np.ndarray, face: FaceBox) -> AttributeReading:
    edges = face_edges(image, face)
    bridge = line_coverage(edges, BRIDGE)
    rims = float(np.mean([line_coverage(edges, r) for r in LOWER_RIMS]))
    score = bridge + rims
    value = "glasses" if score >= GLASSES_SCORE else "none"
    return AttributeReading(
        value,
        margin_confidence(score - GLASSES_SCORE, SCORE_SURE),
        {"bridge": round(bridge, 2), "rims": round(rims, 2), "score": round(score, 2)},
    )
