"""Pictures for the photo-reading tests, made here or taken from a registry package's bundled
sample data at test time. Never real photos of other people from outside the packages."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photo.detector import FaceBox, make_face_detector
from photo.image import working_array
from photo.reading import PhotoReader


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    """Eileen Collins' NASA portrait, bundled in the scikit-image wheel (public domain): one face,
    short hair, smiling, no glasses, light skin."""
    skimage_data = pytest.importorskip("skimage.data")
    return Image.fromarray(skimage_data.astronaut())


@pytest.fixture(scope="session")
def reader() -> PhotoReader:
    return PhotoReader()


@pytest.fixture(scope="session")
def astronaut_face(astronaut: Image.Image) -> FaceBox:
    """The astronaut's face box, in the working image's pixels."""
    return make_face_detector().find_one(working_array(astronaut)).box


def paint(image: Image.Image, face: FaceBox, draw: object) -> Image.Image:
    """A copy of `image` (at working size) with `draw(array, face)` applied to its pixels."""
    array = working_array(image).copy()
    draw(array, face)  # type: ignore[operator]
    return Image.fromarray(np.ascontiguousarray(array))
