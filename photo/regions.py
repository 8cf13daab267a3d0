"""Where to look, relative to the face box: hair above and beside it, cheeks, mouth, the bridge of
the nose, and the photo's background. Proportions are of a frontal Haar face box (brows to chin)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from photo.detector import FaceBox


@dataclass(frozen=True)
class Region:
    """A rectangle in face-box units: (0, 0) is the box's top left, (1, 1) its bottom right."""

    left: float
    top: float
    right: float
    bottom: float

    def pixels(self, image: np.ndarray, face: FaceBox) -> np.ndarray:
        """The region's pixels (clipped to the image; may be empty), shape (n, 3)."""
        height, width = image.shape[:2]
        x0 = int(np.clip(face.x + self.left * face.w, 0, width))
        x1 = int(np.clip(face.x + self.right * face.w, 0, width))
        y0 = int(np.clip(face.y + self.top * face.h, 0, height))
        y1 = int(np.clip(face.y + self.bottom * face.h, 0, height))
        return image[y0:y1, x0:x1].reshape(-1, image.shape[-1])

    def crop(self, image: np.ndarray, face: FaceBox) -> np.ndarray:
        height, width = image.shape[:2]
        x0 = int(np.clip(face.x + self.left * face.w, 0, width))
        x1 = int(np.clip(face.x + self.right * face.w, 0, width))
        y0 = int(np.clip(face.y + self.top * face.h, 0, height))
        y1 = int(np.clip(face.y + self.bottom * face.h, 0, height))
        return image[y0:y1, x0:x1]


def pixels_of(regions: tuple[Region, ...], image: np.ndarray, face: FaceBox) -> np.ndarray:
    parts = [r.pixels(image, face) for r in regions]
    return np.concatenate(parts) if parts else np.empty((0, image.shape[-1]), image.dtype)


# Above the brows, where hair (or a bald crown, or background) is.
HAIR_TOP = (Region(0.15, -0.35, 0.85, -0.08),)
# Beside the temples: hair that frames the face.
HAIR_SIDES = (Region(-0.22, 0.0, -0.02, 0.45), Region(1.02, 0.0, 1.22, 0.45))
# Beside the jaw and beside the neck below the chin: only long hair reaches here.
BESIDE_JAW = (Region(-0.25, 0.55, -0.03, 1.0), Region(1.03, 0.55, 1.25, 1.0))
BELOW_CHIN = (Region(-0.35, 1.05, -0.05, 1.55), Region(1.05, 1.05, 1.35, 1.55))
# Cheeks and the forehead's middle: skin, away from brows, beard line and mouth.
CHEEKS = (Region(0.18, 0.48, 0.36, 0.64), Region(0.64, 0.48, 0.82, 0.64))
FOREHEAD = (Region(0.35, 0.06, 0.65, 0.18),)
# The mouth and what a smile does to it.
MOUTH = Region(0.22, 0.66, 0.78, 0.92)
# Between the eyes: a glasses frame crosses here.
BRIDGE = Region(0.42, 0.30, 0.58, 0.46)
EYES_BAND = Region(0.12, 0.25, 0.88, 0.55)
# The chest, under the chin: clothes.
CLOTHES = (Region(0.1, 1.35, 0.9, 2.0),)
