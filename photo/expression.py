"""Smiling or not: OpenCV's bundled smile cascade votes on the lower face, scaled to a fixed size so
that the vote does not grow with the photo; plenty of visible teeth (light, nearly colourless
pixels in the mouth) adds to it. The cascade alone misses some closed-mouth smiles."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from photo.colour import to_lab
from photo.detector import FaceBox
from photo.evidence import AttributeReading, margin_confidence
from photo.regions import MOUTH, Region

SMILE_CASCADE = "haarcascade_smile.xml"
LOWER_FACE = Region(0.1, 0.55, 0.9, 1.0)
FACE_SIDE = 160
# Cascade votes for a smile (on the face at FACE_SIDE px); teeth beyond TEETH_FREE add to them.
SMILE_VOTES = 400.0
TEETH_FREE = 0.06
TEETH_WEIGHT = 10.0
SMILE_SCORE = 1.0
SCORE_SURE = 0.6


@dataclass(frozen=True)
class SmileDetector:
    cascade: cv2.CascadeClassifier

    def strength(self, image: np.ndarray, face: FaceBox) -> float:
        """The most windows that agree on one smile (the cascade's own vote), 0 when none."""
        crop = LOWER_FACE.crop(image, face)
        if min(crop.shape[:2]) < 8:
            return 0.0
        width = int(FACE_SIDE * (LOWER_FACE.right - LOWER_FACE.left))
        height = int(FACE_SIDE * (LOWER_FACE.bottom - LOWER_FACE.top))
        grey = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), (width, height), interpolation=cv2.INTER_AREA)
        _, neighbours = self.cascade.detectMultiScale2(
            cv2.equalizeHist(grey), scaleFactor=1.05, minNeighbors=1, minSize=(40, 16)
        )
        return float(max(neighbours)) if len(neighbours) else 0.0


def make_smile_detector(cascade_dir: str | None = None) -> SmileDetector:
    folder = cascade_dir or cv2.data.haarcascades
    cascade = cv2.CascadeClassifier(f"{folder.rstrip('/')}/{SMILE_CASCADE}")
    if cascade.empty():
        raise RuntimeError(f"the smile cascade is missing or damaged in {folder}")
    return SmileDetector(cascade)


def teeth_share(image: np.ndarray, face: FaceBox, skin: np.ndarray) -> float:
    """Share of mouth pixels lighter than the skin and with little colour: teeth."""
    mouth = to_lab(MOUTH.pixels(image, face))
    if len(mouth) == 0:
        return 0.0
    colourfulness = np.hypot(mouth[:, 1], mouth[:, 2])
    teeth = (mouth[:, 0] > 0.8 * float(skin[0])) & (colourfulness < 0.6 * float(np.hypot(skin[1], skin[2])) + 4)
    return float(teeth.mean())


def read_expression(image: np.ndarray, face: FaceBox, skin: np.ndarray, smiles: SmileDetector) -> AttributeReading:
    votes = smiles.strength(image, face)
    teeth = teeth_share(image, face, skin)
    score = votes / SMILE_VOTES + TEETH_WEIGHT * max(0.0, teeth - TEETH_FREE)
    value = "happy" if score >= SMILE_SCORE else "neutral"
    return AttributeReading(
        value,
        margin_confidence(score - SMILE_SCORE, SCORE_SURE),
        {"smile_votes": votes, "teeth": round(teeth, 3), "score": round(score, 2)},
    )
