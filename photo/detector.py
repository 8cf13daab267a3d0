"""Finding the face: OpenCV's Haar cascades, which ship inside the opencv-python-headless wheel.

Two cascades vote: `frontalface_alt2` finds candidates (it found every face in our evaluation
photos with the fewest false hits), and `frontalface_default` confirms a candidate by finding a
face in the same place. A candidate the second cascade cannot confirm is usually a patterned
shirt or a poster, so it does not count as "another face" when we look for group photos.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from photo.errors import NoFace, SeveralFaces

FINDER_CASCADE = "haarcascade_frontalface_alt2.xml"
CONFIRM_CASCADE = "haarcascade_frontalface_default.xml"
# Faces smaller than this share of the photo's short side are too small to read hair or a smile.
MIN_FACE_SHARE = 0.08
# A second face counts when its side is at least this share of the largest face's side.
SIMILAR_SIZE = 0.75


@dataclass(frozen=True)
class FaceBox:
    """A face in working-image pixels: the box covers roughly brows to chin, cheek to cheek."""

    x: int
    y: int
    w: int
    h: int
    confirmed: bool

    @property
    def side(self) -> int:
        return max(self.w, self.h)


@dataclass(frozen=True)
class FoundFace:
    """The face to read and how many faces the photo seemed to hold."""

    box: FaceBox
    faces_found: int


class FaceDetector:
    """Finds frontal faces in an RGB array. Build it once (it parses two XML cascades) and reuse it."""

    def __init__(self, finder: cv2.CascadeClassifier, confirmer: cv2.CascadeClassifier) -> None:
        self._finder = finder
        self._confirmer = confirmer

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """Every face candidate, largest first."""
        grey = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        min_side = max(24, int(MIN_FACE_SHARE * min(grey.shape)))
        boxes = self._finder.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=4, minSize=(min_side, min_side))
        faces = [
            FaceBox(int(x), int(y), int(w), int(h), self._confirm(grey, (int(x), int(y), int(w), int(h))))
            for x, y, w, h in (boxes if len(boxes) else [])
        ]
        return sorted(faces, key=lambda f: f.w * f.h, reverse=True)

    def find_one(self, rgb: np.ndarray) -> FoundFace:
        """The one face to read, or NoFace / SeveralFaces."""
        faces = self.detect(rgb)
        if not faces:
            raise NoFace()
        confirmed = [f for f in faces if f.confirmed] or faces[:1]
        main = confirmed[0]
        similar = [f for f in confirmed if f.side >= SIMILAR_SIZE * main.side]
        if len(similar) > 1:
            raise SeveralFaces(len(similar))
        return FoundFace(box=main, faces_found=len(confirmed))

    def _confirm(self, grey: np.ndarray, box: tuple[int, int, int, int]) -> bool:
        # Look again with the other cascade in a padded crop around the candidate only: cheap and local.
        x, y, w, h = box
        pad = w // 3
        top, left = max(0, y - pad), max(0, x - pad)
        crop = grey[top : y + h + pad, left : x + w + pad]
        found = self._confirmer.detectMultiScale(
            crop, scaleFactor=1.1, minNeighbors=3, minSize=(int(0.6 * w), int(0.6 * h)), maxSize=(2 * w, 2 * h)
        )
        return len(found) > 0


def make_face_detector(cascade_dir: Path | None = None) -> FaceDetector:
    """Load the bundled cascades (no network: they are files inside the cv2 package)."""
    folder = Path(cascade_dir or cv2.data.haarcascades)
    return FaceDetector(_cascade(folder / FINDER_CASCADE), _cascade(folder / CONFIRM_CASCADE))


def _cascade(path: Path) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise RuntimeError(f"the face detector's cascade is missing or damaged: {path}")
    return cascade
