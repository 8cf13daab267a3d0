"""Reading a photo: find the one face, then read each attribute an avatar can show.

The worker builds one PhotoReader per process (it loads the cascades once) and calls `read`;
`read_photo` is the one-call form for scripts and tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Optional

import numpy as np
from PIL import Image

from photo.background import background_palette, read_background
from photo.detector import FaceBox, FaceDetector, make_face_detector
from photo.evidence import AttributeReading
from photo.expression import SmileDetector, make_smile_detector, read_expression
from photo.glasses import read_glasses
from photo.hair import read_hair_colour, read_hair_length
from photo.image import working_array
from photo.skin import read_skin, skin_lab

# The attributes a photo can tell, in vocabulary order.
READ_ATTRIBUTES: tuple[str, ...] = ("hair", "hair_color", "skin", "expression", "glasses", "background")

# Below its threshold a reading is left open for the generator to choose. Set so that each
# attribute's wrong readings on the evaluation photos mostly fall below it.
DEFAULT_MIN_CONFIDENCE: Mapping[str, float] = MappingProxyType(
    {"hair": 0.5, "hair_color": 0.5, "skin": 0.5, "expression": 0.5, "glasses": 0.5, "background": 0.4}
)


@dataclass(frozen=True)
class PhotoReading:
    """What was read from a photo. `read` holds the attributes read confidently enough to use;
    `confidence` holds every attribute tried (an attribute in `confidence` but not in `read` was left
    open). `evidence` keeps the measurements behind each reading, for explaining and tuning."""

    face: bool
    read: dict[str, str]
    confidence: dict[str, float]
    faces_found: int
    seconds: float = 0.0
    guesses: dict[str, Optional[str]] = field(default_factory=dict)
    evidence: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """The public part: what the command line prints and a job may keep (no pixels, no boxes)."""
        return {
            "face": self.face,
            "read": dict(self.read),
            "confidence": {k: round(v, 2) for k, v in self.confidence.items()},
        }


class PhotoReader:
    """Reads photos with one set of detectors and thresholds. Safe to reuse for many photos and to
    share between threads (OpenCV's cascades are not re-entrant, so one read runs at a time);
    holds no photo between calls."""

    def __init__(
        self,
        detector: Optional[FaceDetector] = None,
        smiles: Optional[SmileDetector] = None,
        min_confidence: Optional[Mapping[str, float]] = None,
    ) -> None:
        self._detector = detector or make_face_detector()
        self._smiles = smiles or make_smile_detector()
        self._min_confidence = {**DEFAULT_MIN_CONFIDENCE, **(min_confidence or {})}
        self._lock = threading.Lock()

    def read(self, image: Image.Image) -> PhotoReading:
        """Raises NoFace or SeveralFaces (domain errors with a readable sentence)."""
        started = time.perf_counter()
        rgb = working_array(image)
        with self._lock:
            found = self._detector.find_one(rgb)
            readings = self._read_attributes(rgb, found.box)
        del rgb  # the pixels go as soon as the attributes are read
        read = {
            a: r.value
            for a, r in readings.items()
            if r.value is not None and r.confidence >= self._min_confidence.get(a, 0.5)
        }
        return PhotoReading(
            face=True,
            read=read,
            confidence={a: round(r.confidence, 3) for a, r in readings.items()},
            faces_found=found.faces_found,
            seconds=time.perf_counter() - started,
            guesses={a: r.value for a, r in readings.items()},
            evidence={a: r.evidence for a, r in readings.items()},
        )

    def _read_attributes(self, rgb: np.ndarray, face: FaceBox) -> dict[str, AttributeReading]:
        skin, _ = skin_lab(rgb, face)
        hair_colour, hair_lab = read_hair_colour(rgb, face, skin)
        readings = {
            "hair": read_hair_length(rgb, face, hair_lab, background_palette(rgb, face)),
            "hair_color": hair_colour,
            "skin": read_skin(rgb, face),
            "expression": read_expression(rgb, face, skin, self._smiles),
            "glasses": read_glasses(rgb, face),
            "background": read_background(rgb, face, skin),
        }
        return {a: readings[a] for a in READ_ATTRIBUTES}


def read_photo(image: Image.Image, reader: Optional[PhotoReader] = None) -> PhotoReading:
    """Read one photo. Pass a reader to reuse its loaded detectors across photos."""
    return (reader or PhotoReader()).read(image)
